from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional

from ..forms import FlaskForm, choices, max_len, strip_filter
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


class EditCategoryForm(CategoryForm):
    submit = SubmitField(_l("Save the category"))


class DeleteCategoryForm(FlaskForm):
    """Where the category's discussions go; not sent: the default category."""

    target = SelectField(_l("Move its discussions to"), coerce=int, validate_choice=False, validators=[Optional()])
    submit = SubmitField(_l("Delete the category"))


class MoveCategoryForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])


class ThreadEditForm(FlaskForm):
    """A discussion's category and tags; a field not sent keeps its value."""

    category = SelectField(_l("Category"), coerce=int, validate_choice=False, validators=[Optional()])
    tags = StringField(_l("Tags"), validators=[max_len(600)], filters=[strip_filter])
    submit = SubmitField(_l("Save"))


class RenameTagForm(FlaskForm):
    tag = SelectField(_l("Tag to rename"), validators=[InputRequired(_l("Choose a tag from the list."))])
    name = StringField(_l("New name"), validators=[DataRequired(_l("Give the tag its new name.")), max_len(60)], filters=[strip_filter])
    submit = SubmitField(_l("Rename the tag"))


class DeleteTagForm(FlaskForm):
    tag = SelectField(_l("Tag to delete"), validators=[InputRequired(_l("Choose a tag from the list."))])
    submit = SubmitField(_l("Delete the tag"))


class InviteForm(FlaskForm):
    user = SelectField(_l("Person to invite"), coerce=int, validators=[InputRequired()])
    submit = SubmitField(_l("Invite to this discussion"))


class ShareForm(FlaskForm):
    community = SelectField(_l("Share to the community"), validators=[DataRequired()])
    submit = SubmitField(_l("Share"))
