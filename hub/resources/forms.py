from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional, URL
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import FlaskForm, choices, max_len, strip_filter, tags_filter


def type_labels():
    return {
        "case_study": _l("Case study"),
        "good_practice": _l("Good practice"),
        "tool": _l("Tool or template"),
        "policy": _l("Policy or by-law"),
        "report": _l("Report"),
        "funding": _l("Funding programme"),
        "reference": _l("Reference"),
    }


def language_labels():
    return {"fr": _l("French"), "en": _l("English")}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ResourceForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the resource a title.")), max_len(300)])
    type = SelectField(_l("Type"), default="reference")
    file = FileField(_l("File"))
    url = StringField(_l("…or a link"), filters=[strip_filter], validators=[Optional(), max_len(2000), URL(require_tld=False, message=_l("Enter a full web address, starting with https://"))])
    summary = TextAreaField(_l("Summary (Markdown)"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    themes = MultiCheckboxField(_l("Themes"), coerce=int, validate_choice=True)
    tags = StringField(_l("Other keywords (separated by commas)"), filters=[tags_filter], validators=[Optional(), max_len(500)])
    municipality = StringField(_l("Municipality or territory"), filters=[strip_filter], validators=[Optional(), max_len(120)])
    language = SelectField(_l("Language of the document"), default="fr")
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=1900, max=2100, message=_l("Enter a year between 1900 and 2100."))])
    source_organization = StringField(_l("Source organisation"), filters=[strip_filter], validators=[Optional(), max_len(200)])
    licence = StringField(_l("Licence"), filters=[strip_filter], validators=[Optional(), max_len(120)])
    story_context = TextAreaField(_l("Context"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    story_actions = TextAreaField(_l("What was done"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    story_steps = TextAreaField(_l("Steps and duration"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    story_results = TextAreaField(_l("Results"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    story_lessons = TextAreaField(_l("What worked and what did not"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    story_contacts = TextAreaField(_l("Contacts"), filters=[strip_filter], validators=[Optional(), max_len(5000)])
    submit = SubmitField(_l("Save the resource"))

    def __init__(self, *args, themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = choices(type_labels().items())
        self.language.choices = choices(language_labels().items())
        self.themes.choices = choices((t.id, t.name) for t in themes)


class VersionForm(FlaskForm):
    file = FileField(_l("New version of the file"))
    submit = SubmitField(_l("Add this version"))


class ThemeForm(FlaskForm):
    name = StringField(_l("New theme"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the theme a name.")), max_len(80)])
    submit = SubmitField(_l("Add the theme"))
