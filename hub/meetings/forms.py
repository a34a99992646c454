from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field, HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional, URL

from ..accounts.forms import timezone_choices
from ..forms import FlaskForm, choices, max_len, strip_filter, valid_timezone
from ..resources.forms import MultiCheckboxField
from .models import REMINDER_CHOICES

DURATIONS = (15, 30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 480)
MAX_GRID_VALUES = 31


class ValueList(Field):
    """Every value posted under the field's name (a list of dates, of times, of slots)."""

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        self.data = [v.strip() for v in valuelist if isinstance(v, str) and v.strip()][: MAX_GRID_VALUES * 12]

    def process_data(self, value):
        self.data = list(value or [])


def duration_label(minutes):
    from ..i18n import format_duration

    return format_duration(minutes)


def duration_choices():
    return choices((m, duration_label(m)) for m in DURATIONS)


def link_field(label):
    return StringField(label, filters=[strip_filter], validators=[Optional(), max_len(2000), URL(require_tld=False, message=_l("Enter a full web address, starting with https://"))])


class PollForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the meeting a title.")), max_len(200)])
    description = TextAreaField(_l("Description (optional)"), filters=[strip_filter], validators=[Optional(), max_len(10000)])
    duration_minutes = SelectField(_l("Duration"), coerce=int, default=60)
    timezone = SelectField(_l("Time zone of the proposed times"), validators=[valid_timezone], validate_choice=False)
    remote_url = link_field(_l("Videoconference link (Zoom, Teams…), optional"))
    location = StringField(_l("Place (optional)"), filters=[strip_filter], validators=[Optional(), max_len(300)])
    dates = ValueList(_l("Days"))
    times = ValueList(_l("Start times"))
    slot = ValueList(_l("Proposed slots"))
    deadline_date = DateField(_l("Answer by (optional)"), validators=[Optional()])
    deadline_time = TimeField(_l("Time of the deadline"), validators=[Optional()], default=None)
    invite = RadioField(_l("Who is invited"), default="all", validators=[InputRequired(message=_l("Choose who is invited."))])
    members = MultiCheckboxField(_l("Members invited"), coerce=int, validate_choice=True)
    guests = TextAreaField(_l("Guests without an account (one email address per line), optional"), filters=[strip_filter], validators=[Optional(), max_len(20000)])
    preview = SubmitField(_l("Show the grid"))
    submit = SubmitField(_l("Send the poll"))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.duration_minutes.choices = duration_choices()
        self.timezone.choices = timezone_choices()
        self.invite.choices = choices([("all", _l("The whole community")), ("chosen", _l("Chosen members (and guests)"))])
        self.members.choices = choices((u.id, u.display_name) for u in members)


class AnswerForm(FlaskForm):
    name = StringField(_l("Your name"), filters=[strip_filter], validators=[Optional(), max_len(120)])
    comment = TextAreaField(_l("Comment (optional)"), filters=[strip_filter], validators=[Optional(), max_len(1000)])
    submit = SubmitField(_l("Save my answers"))


class FinalizeForm(FlaskForm):
    slot_id = IntegerField(_l("Slot"), validators=[InputRequired(message=_l("Choose one of the poll's slots."))])


def kind_choices():
    return choices([("meeting", _l("A meeting of the community")), ("event", _l("An event of interest (forum, conference, public consultation…)"))])


def repeat_choices():
    return choices([
        ("none", _l("Does not repeat")),
        ("weekly", _l("Every week")),
        ("biweekly", _l("Every two weeks")),
        ("monthly_weekday", _l("Every month, same weekday (e.g. the first Tuesday)")),
        ("monthly_day", _l("Every month, same date")),
    ])


class MeetingForm(FlaskForm):
    kind = RadioField(_l("What is it?"), default="meeting", validators=[InputRequired(message=_l("Choose a meeting or an event."))])
    title = StringField(_l("Title"), filters=[strip_filter], validators=[DataRequired(message=_l("Give the meeting a title.")), max_len(200)])
    description = TextAreaField(_l("Description (optional)"), filters=[strip_filter], validators=[Optional(), max_len(10000)])
    start_date = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = TimeField(_l("Start time"), validators=[InputRequired(message=_l("Enter a time."))])
    end_date = DateField(_l("End date (if another day)"), validators=[Optional()])
    end_time = TimeField(_l("End time"), validators=[InputRequired(message=_l("Enter a time."))])
    timezone = SelectField(_l("Time zone"), validators=[valid_timezone], validate_choice=False)
    remote_url = link_field(_l("Link (videoconference, or the event's page), optional"))
    location = StringField(_l("Place (optional)"), filters=[strip_filter], validators=[Optional(), max_len(300)])
    repeat = SelectField(_l("Repeat"), default="none")
    repeat_until = DateField(_l("Repeat until (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()
        self.timezone.choices = timezone_choices()
        self.repeat.choices = repeat_choices()


class OccurrenceForm(FlaskForm):
    start_date = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = TimeField(_l("Start time"), validators=[InputRequired(message=_l("Enter a time."))])
    end_time = TimeField(_l("End time"), validators=[InputRequired(message=_l("Enter a time."))])
    title = StringField(_l("Title for this occurrence (optional)"), filters=[strip_filter], validators=[Optional(), max_len(200)])
    location = StringField(_l("Place for this occurrence (optional)"), filters=[strip_filter], validators=[Optional(), max_len(300)])
    submit = SubmitField(_l("Change this occurrence only"))


def attendance_choices():
    return choices([("going", _l("Going")), ("maybe", _l("Maybe")), ("notgoing", _l("Not going"))])


class AttendanceForm(FlaskForm):
    response = RadioField(_l("Will you attend?"), validators=[InputRequired(message=_l("Answer going, maybe or not going."))])
    submit = SubmitField(_l("Send my answer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.response.choices = attendance_choices()


class AgendaForm(FlaskForm):
    title = StringField(_l("Topic"), filters=[strip_filter], validators=[DataRequired(message=_l("Name the topic.")), max_len(200)])
    details = TextAreaField(_l("Details (optional)"), filters=[strip_filter], validators=[Optional(), max_len(5000)])
    submit = SubmitField(_l("Propose this topic"))


class FollowUpForm(FlaskForm):
    what = StringField(_l("What"), filters=[strip_filter], validators=[DataRequired(message=_l("Say what is to be done.")), max_len(500)])
    who = StringField(_l("Who"), filters=[strip_filter], validators=[Optional(), max_len(200)])
    due = DateField(_l("By when (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Add the follow-up"))


def reminder_choices():
    labels = {0: _l("No reminder"), 1: _l("1 hour before"), 2: _l("2 hours before"), 24: _l("24 hours before"), 48: _l("48 hours before")}
    return choices((h, labels[h]) for h in REMINDER_CHOICES)


class ReminderForm(FlaskForm):
    reminder_hours = SelectField(_l("Reminder email before each meeting"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reminder_hours.choices = reminder_choices()


class FeedForm(FlaskForm):
    """The buttons of the calendar feed: create or renew the address, or revoke it."""

    action = HiddenField(validators=[AnyOf(["renew", "revoke"])])
