from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..forms import EmailAddress, FlaskForm, choices, max_len, normalize_email, strip_filter, tags_filter, valid_timezone
from ..timeutil import valid_timezones, zone_choices

PASSWORD_MIN = 10


def password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(min=PASSWORD_MIN, max=200, message=_l("Use between %(min)d and %(max)d characters.", min=PASSWORD_MIN, max=200)),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def email_field(label=_l("Email")):
    return StringField(
        label,
        filters=[normalize_email],
        validators=[DataRequired(message=_l("Enter your email address.")), max_len(254), EmailAddress()],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class RegistrationForm(FlaskForm):
    email = email_field()
    password = password_field(_l("Password"))
    display_name = StringField(_l("Name shown to others"), filters=[strip_filter], validators=[DataRequired(message=_l("Enter your name.")), max_len(120)], render_kw={"autocomplete": "name"})
    organization = StringField(_l("Organisation or municipality"), filters=[strip_filter], validators=[Optional(), max_len(200)], render_kw={"autocomplete": "organization"})
    job_title = StringField(_l("Job title"), filters=[strip_filter], validators=[Optional(), max_len(200)], render_kw={"autocomplete": "organization-title"})
    submit = SubmitField(_l("Create my account"))


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), filters=[normalize_email], validators=[DataRequired(message=_l("Enter your email address.")), max_len(254)], render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password.")), max_len(200)], render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this device"))
    submit = SubmitField(_l("Log in"))


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[EqualTo("password", message=_l("The two passwords differ."))], render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change my password"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Enter your password.")), max_len(200)], render_kw={"autocomplete": "current-password"})
    password = password_field(_l("New password"))
    # Off unless ticked: a new password also ends the API tokens, as a reset does.
    keep_tokens = BooleanField(_l("Keep my API tokens"), default=False)
    submit = SubmitField(_l("Change my password"))


class EmailChangeForm(FlaskForm):
    email = email_field(_l("New email address"))
    password = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Enter your password.")), max_len(200)], render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Send a confirmation link"))


def timezone_choices():
    """Every zone as people name it in their language, the Canadian zones first."""
    from flask_babel import get_locale

    return choices(zone_choices(get_locale()))


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Name shown to others"), filters=[strip_filter], validators=[DataRequired(message=_l("Enter your name.")), max_len(120)])
    organization = StringField(_l("Organisation or municipality"), filters=[strip_filter], validators=[Optional(), max_len(200)])
    job_title = StringField(_l("Job title"), filters=[strip_filter], validators=[Optional(), max_len(200)])
    bio = TextAreaField(_l("Short bio"), filters=[strip_filter], validators=[Optional(), max_len(1000)])
    expertise = StringField(_l("Expertise (separated by commas)"), filters=[tags_filter], validators=[Optional(), max_len(500)])
    languages = StringField(_l("Languages you speak (separated by commas)"), filters=[tags_filter], validators=[Optional(), max_len(200)])
    timezone = SelectField(_l("Time zone"), validators=[valid_timezone], validate_choice=False)
    locale = SelectField(_l("Preferred language"), choices=choices([("fr_CA", "Français"), ("en", "English")]), validate_choice=True)
    avatar = FileField(_l("Photo (PNG, JPEG or WebP, at most 2 MB)"), validators=[FileAllowed(["png", "jpg", "jpeg", "webp"], _l("Use a PNG, JPEG or WebP image."))])
    remove_avatar = BooleanField(_l("Remove my photo"))
    submit = SubmitField(_l("Save my profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the token a name.")), max_len(100)])
    submit = SubmitField(_l("Create a token"))


class ConfirmForm(FlaskForm):
    """An empty form: a button protected against cross-site requests."""

    submit = SubmitField(_l("Confirm"))
