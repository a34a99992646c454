import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional, Regexp

from ..forms import EmailAddress, FlaskForm, choices, max_len, normalize_email, strip_filter

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def visibility_choices():
    return choices([
        ("private", _l("Private: only members know it exists")),
        ("listed", _l("Listed: name and mission visible to registered users, who can ask to join")),
        ("public", _l("Public: a showcase page anyone can read")),
    ])


def role_choices(include_facilitator=True):
    pairs = [
        ("member", _l("Member: reads and takes part")),
        ("guest", _l("Guest: reads and takes part only where invited")),
        ("observer", _l("Observer: reads only")),
    ]
    if include_facilitator:
        pairs.insert(0, ("facilitator", _l("Facilitator: also manages the community")))
    return choices(pairs)


class CommunityForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the community a name.")), max_len(120)])
    slug = StringField(
        _l("Web address (letters, digits and dashes)"),
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        validators=[Optional(), max_len(60), Regexp(SLUG_RE, message=_l("Use lowercase letters, digits and dashes only."))],
    )
    mission = TextAreaField(_l("Mission"), filters=[strip_filter], validators=[Optional(), max_len(4000)])
    values = TextAreaField(_l("Values and ways of working"), filters=[strip_filter], validators=[Optional(), max_len(4000)])
    visibility = RadioField(_l("Visibility"), default="private", validators=[DataRequired(message=_l("Choose a visibility."))])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.visibility.choices = visibility_choices()


class InvitationForm(FlaskForm):
    email = StringField(_l("Email of the person to invite"), filters=[normalize_email], validators=[DataRequired(message=_l("Enter an email address.")), max_len(254), EmailAddress()])
    role = SelectField(_l("Role"), default="member")
    guest_until = DateField(_l("Guest access ends on (optional)"), validators=[Optional()])
    message = TextAreaField(_l("Personal message (optional)"), filters=[strip_filter], validators=[Optional(), max_len(2000)])
    submit = SubmitField(_l("Send the invitation"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"))
    submit = SubmitField(_l("Change the role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class JoinRequestForm(FlaskForm):
    message = TextAreaField(_l("A word for the facilitators (optional)"), filters=[strip_filter], validators=[Optional(), max_len(2000)])
    submit = SubmitField(_l("Ask to join"))
