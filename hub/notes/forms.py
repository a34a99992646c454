from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..forms import FlaskForm, choices, max_len, strip_filter
from ..resources.forms import MultiCheckboxField
from .models import MAX_BODY, MAX_TITLE, VISIBILITIES


def visibility_choices():
    return choices([
        ("private", _l("Only me")),
        ("members", _l("Members I choose")),
        ("community", _l("The whole community")),
    ])


class NoteForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the note a title.")), max_len(MAX_TITLE)])
    template = SelectField(_l("Start from"), default="", validate_choice=True)
    visibility = RadioField(_l("Who may read it"), default="private", choices=visibility_choices(),
                            validators=[InputRequired(message=_l("Choose who may read the note.")), AnyOf(VISIBILITIES)])
    members = MultiCheckboxField(_l("Members who may read and edit it"), coerce=int, validate_choice=True)
    attached_to = SelectField(_l("Attached to (optional)"), default="", validate_choice=True)
    submit = SubmitField(_l("Create the note"))


class EditForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the note a title.")), max_len(MAX_TITLE)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), max_len(MAX_BODY)])
    base_revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    # Set by the live editor: the text is already saved through the live document; only the title is sent.
    live = HiddenField(default="")
    submit = SubmitField(_l("Save"))
    preview = SubmitField(_l("Preview"))


class ShareForm(FlaskForm):
    visibility = RadioField(_l("Who may read it"), choices=visibility_choices(),
                            validators=[InputRequired(message=_l("Choose who may read the note.")), AnyOf(VISIBILITIES)])
    members = MultiCheckboxField(_l("Members who may read and edit it"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Save the sharing"))


class AttachForm(FlaskForm):
    attached_to = SelectField(_l("Attached to"), default="", validate_choice=True)
    submit = SubmitField(_l("Attach"))


class CompareForm(FlaskForm):
    class Meta:
        csrf = False

    a = IntegerField(_l("From revision"), validators=[Optional()])
    b = IntegerField(_l("To revision"), validators=[Optional()])


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the template a name.")), max_len(120)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), max_len(MAX_BODY)])
    submit = SubmitField(_l("Add the template"))
