from flask_babel import lazy_gettext as _l
from ..forms import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from ..forms import EmailAddress, max_len, normalize_email


class TransferForm(FlaskForm):
    email = StringField(_l("Email of the new facilitator"), filters=[normalize_email], validators=[DataRequired(message=_l("Enter an email address.")), max_len(254), EmailAddress()])
    demote = BooleanField(_l("The current facilitators become members"))
