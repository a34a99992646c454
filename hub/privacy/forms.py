from flask_babel import lazy_gettext as _l
from ..forms import FlaskForm
from wtforms import PasswordField, RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from ..forms import choices, max_len

from .service import MAX_POLICY


class ExportForm(FlaskForm):
    submit = SubmitField(_l("Download my data"))


class DeleteAccountForm(FlaskForm):
    content = RadioField(
        _l("What becomes of my messages, shared notes and resources"),
        choices=choices([
            ("keep", _l("Keep them, shown as written by a former member")),
            ("erase", _l("Erase them (messages show “message deleted”)")),
        ]),
        validators=[DataRequired(message=_l("Choose what becomes of your messages, shared notes and resources."))],
    )
    password = PasswordField(
        _l("My password"), validators=[DataRequired(message=_l("Enter your password to confirm."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Delete my account for good"))


class PolicyForm(FlaskForm):
    body_fr = TextAreaField(_l("Policy in French (Markdown)"), validators=[
        DataRequired(message=_l("Write the policy in this language.")), max_len(MAX_POLICY)], render_kw={"rows": 20})
    body_en = TextAreaField(_l("Policy in English (Markdown)"), validators=[
        DataRequired(message=_l("Write the policy in this language.")), max_len(MAX_POLICY)], render_kw={"rows": 20})
    submit = SubmitField(_l("Save the policy"))
