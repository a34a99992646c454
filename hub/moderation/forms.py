from flask_babel import lazy_gettext as _l
from ..forms import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Optional

from ..forms import choices, max_len, strip_filter
from .models import REASONS
from .service import MAX_TEXT, REASON_LABELS


class FlagForm(FlaskForm):
    reason = RadioField(_l("Why should the moderators look at it?"), choices=choices([(r, REASON_LABELS[r]) for r in REASONS]),
                        validators=[InputRequired(message=_l("Choose a reason from the list.")), AnyOf(REASONS)])
    text = TextAreaField(_l("More details (optional)"), filters=[strip_filter], validators=[Optional(), max_len(MAX_TEXT)])
    submit = SubmitField(_l("Send the flag"))
