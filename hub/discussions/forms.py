from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired

from ..forms import choices, max_len, strip_filter
from .models import LEVELS, REACTIONS

MAX_BODY = 50_000


def level_labels():
    return {
        "watching": _l("Watching: every new message"),
        "normal": _l("Normal: mentions and replies to me"),
        "muted": _l("Muted: nothing"),
    }


class ComposerForm(FlaskForm):
    """The one box: Markdown, @mentions, #references, #hashtags, links (preview cards) and files."""

    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write a message.")), max_len(MAX_BODY)], filters=[strip_filter])
    files = MultipleFileField(_l("Attach files"))
    reply_to = HiddenField()
    submit = SubmitField(_l("Send"))


class ThreadForm(ComposerForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the discussion a title.")), max_len(200)], filters=[strip_filter])
    category = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    is_question = BooleanField(_l("This is a question (an answer can be marked)"))
    submit = SubmitField(_l("Start the discussion"))


class EditPostForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write a message.")), max_len(MAX_BODY)], filters=[strip_filter])
    submit = SubmitField(_l("Save the change"))


class ReactionForm(FlaskForm):
    emoji = StringField(validators=[DataRequired(), AnyOf(REACTIONS)])


class SubscriptionForm(FlaskForm):
    level = RadioField(_l("Notifications for this discussion"), choices=[], validators=[InputRequired(), AnyOf(LEVELS)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = choices(level_labels().items())


class CategoryForm(FlaskForm):
    name = StringField(_l("Name of the category"), validators=[DataRequired(_l("Give the category a name.")), max_len(80)], filters=[strip_filter])
    description = StringField(_l("Description (optional)"), validators=[max_len(300)], filters=[strip_filter])
    submit = SubmitField(_l("Add the category"))


class InviteForm(FlaskForm):
    user = SelectField(_l("Person to invite"), coerce=int, validators=[InputRequired()])
    submit = SubmitField(_l("Invite to this discussion"))


class ShareForm(FlaskForm):
    community = SelectField(_l("Share to the community"), validators=[DataRequired()])
    submit = SubmitField(_l("Share"))
