from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import AnyOf, DataRequired, InputRequired

from ..forms import FlaskForm, choices
from .models import EMAIL_CHOICES, LEVEL_CHOICES


def level_labels():
    return {
        "watching": _l("Watching: every new discussion and message"),
        "normal": _l("Normal: mentions, replies, and discussions I follow"),
        "muted": _l("Muted: nothing"),
    }


def email_labels():
    return {
        "immediate": _l("Email at once"),
        "daily": _l("A daily digest"),
        "weekly": _l("A weekly digest"),
        "never": _l("No email"),
    }


class PreferenceForm(FlaskForm):
    community = HiddenField(validators=[DataRequired()])
    level = RadioField(_l("What to be told about"), choices=[], validators=[InputRequired(), AnyOf(LEVEL_CHOICES)])
    email = RadioField(_l("Email"), choices=[], validators=[InputRequired(), AnyOf(EMAIL_CHOICES)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = choices(level_labels().items())
        self.email.choices = choices(email_labels().items())


class MarkReadForm(FlaskForm):
    submit = SubmitField(_l("Mark everything as read"))
