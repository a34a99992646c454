"""Pages: availability polls, meetings, the community calendar, the personal calendar feed."""
import calendar as month_calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..accounts.forms import ConfirmForm
from ..communities.views import community_or_404
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import show_service_error
from ..i18n import select_timezone
from ..timeutil import utcnow
from . import ics, recurrence, service
from .forms import (
    MAX_GRID_VALUES, AgendaForm, AnswerForm, AttendanceForm, FeedForm, FinalizeForm, FollowUpForm, MeetingForm,
    OccurrenceForm, PollForm, ReminderForm,
)
from .models import ANSWERS, AgendaItem, FollowUp, Meeting, Poll, PollInvitee, PollSlot

bp = Blueprint("meetings", __name__)


def _get_or_404(model, object_id, action):
    found = service.get(model, object_id)
    if found is None:
        abort(404)
    access.require(action, found)
    return found


def viewer_zone():
    return select_timezone()


# --- polls --------------------------------------------------------------------------------


def grid_from(form, tz_name):
    """(dates, times, chosen slot keys, errors) from the slot grid of the poll form."""
    errors = []
    dates, times = [], []
    for value in form.dates.data[:MAX_GRID_VALUES]:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            errors.append(_("“%(value)s” is not a date.", value=value[:20]))
            continue
        if day not in dates:
            dates.append(day)
    for value in form.times.data[:MAX_GRID_VALUES]:
        try:
            moment = time.fromisoformat(value)
        except ValueError:
            errors.append(_("“%(value)s” is not a time.", value=value[:20]))
            continue
        moment = moment.replace(second=0, microsecond=0, tzinfo=None)
        if moment not in times:
            times.append(moment)
    dates.sort()
    times.sort()
    keys = [f"{d.isoformat()}T{t.strftime('%H:%M')}" for d in dates for t in times]
    ticked = set(form.slot.data or ())
    shown = set((request.form.get("grid") or "").split())
    if shown:
        # The grid was shown: its unticked cells are left out; cells of days or times added since are in.
        chosen = [k for k in keys if k in ticked or k not in shown]
    else:
        chosen = [k for k in keys if k in ticked] if ticked else keys
    return dates, times, chosen, errors


def slots_from_keys(keys, tz_name, duration):
    zone = ZoneInfo(tz_name)
    slots = []
    for key in keys:
        start = datetime.fromisoformat(key).replace(tzinfo=zone).astimezone(timezone.utc)
        slots.append((start, start + timedelta(minutes=duration)))
    return slots


def deadline_from(form, tz_name):
    if not form.deadline_date.data:
        return None
    moment = form.deadline_time.data or time(23, 59)
    return datetime.combine(form.deadline_date.data, moment, tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)


def guest_list(text):
    return [part for part in (text or "").replace(",", "\n").replace(";", "\n").split() if part]



@bp.app_template_filter("with_references")
def with_references(text, community_id):
    """A plain description with its #references linked, for the person reading the page."""
    from ..markup import references_html

    return references_html(text, current_user, community_id)

@bp.route("/c/<slug>/polls/new", methods=["GET", "POST"])
def new_poll(slug):
    community = community_or_404(slug)
    access.require("poll.create", community)
    members = [u for u in service.community_members(community) if u.id != current_user.id]
    form = PollForm(members=members)
    if request.method == "GET":
        form.timezone.data = viewer_zone()
    tz_name = form.timezone.data if isinstance(form.timezone.data, str) else viewer_zone()
    dates, times, chosen, grid_errors = grid_from(form, tz_name)
    status = 200
    if request.method == "POST":
        valid = form.validate_on_submit()
        if grid_errors:
            form.slot.errors = list(form.slot.errors) + grid_errors
            valid = False
        if valid and not form.preview.data:
            try:
                slots = slots_from_keys(chosen, tz_name, form.duration_minutes.data)
                poll, _links = service.create_poll(
                    community, current_user, title=form.title.data, description=form.description.data,
                    duration_minutes=form.duration_minutes.data, tz_name=tz_name, slots=slots,
                    deadline=deadline_from(form, tz_name), location=form.location.data, remote_url=form.remote_url.data,
                    invite_all=form.invite.data == "all", user_ids=form.members.data if form.invite.data == "chosen" else (),
                    guest_emails=guest_list(form.guests.data),
                )
            except ServiceError as error:
                db.session.rollback()
                show_service_error(form, error, {"slots": "slot", "invitees": "slot", "deadline": "deadline_date"})
            else:
                db.session.commit()
                flash(_("The poll is sent. Answers will appear here as they arrive."), "success")
                return redirect(url_for("meetings.poll", poll_id=poll.id))
        status = 422 if form.errors else 200
    return render_template(
        "meetings/poll_new.html", community=community, form=form, dates=dates, times=times, chosen=set(chosen),
        max_values=MAX_GRID_VALUES,
    ), status


def _poll_context(poll, invitee, form, guest_token=None):
    viewer_tz = poll.timezone if guest_token else viewer_zone()
    mine = {a.slot_id: a.value for a in invitee.answers} if invitee is not None else {}
    return dict(
        poll=poll, community=poll.community, tallies=service.tallies(poll), respondents=service.respondents(poll),
        invitee=invitee, mine=mine, form=form, viewer_tz=viewer_tz, guest_token=guest_token, answers=ANSWERS,
        can_answer=(invitee is not None and not access.archived(poll)) or (not guest_token and access.can(current_user, "poll.answer", poll)),
        can_manage=not guest_token and access.can(current_user, "poll.manage", poll),
        finalize_form=FinalizeForm(), confirm_form=ConfirmForm(),
        guests=[i for i in poll.invitees if i.is_guest],
    )


@bp.route("/polls/<int:poll_id>")
def poll(poll_id):
    poll = _get_or_404(Poll, poll_id, "poll.read")
    invitee = service.invitee_for(poll, current_user, create=False)
    g.private_page = True
    return render_template("meetings/poll.html", **_poll_context(poll, invitee, AnswerForm(obj=invitee)))


def _comment_from(form):
    """The comment when the form sends one (an empty box clears it); None keeps the one saved."""
    return (form.comment.data or "") if "comment" in request.form else None


def _answers_from_form(poll):
    return {slot.id: request.form.get(f"slot-{slot.id}") for slot in poll.slots if request.form.get(f"slot-{slot.id}") is not None}


@bp.route("/polls/<int:poll_id>/answer", methods=["POST"])
def answer(poll_id):
    poll = _get_or_404(Poll, poll_id, "poll.answer")
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_template("meetings/poll.html", **_poll_context(poll, service.invitee_for(poll, current_user, create=False), form)), 422
    try:
        service.answer(poll, service.invitee_for(poll, current_user), _answers_from_form(poll), _comment_from(form))
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return render_template("meetings/poll.html", **_poll_context(poll, service.invitee_for(poll, current_user, create=False), form)), error.status
    db.session.commit()
    flash(_("Your answers are saved. You can change them until the poll closes."), "success")
    return redirect(url_for("meetings.poll", poll_id=poll.id))


def _guest_or_error(token):
    invitee = PollInvitee.by_token(token)
    if invitee is None:
        abort(404)
    if invitee.revoked_at is not None:
        return None, (render_template("meetings/link_revoked.html"), 410)
    return invitee, None


@bp.route("/p/<token>", methods=["GET", "POST"])
def guest_poll(token):
    """A guest without an account answers through a personal link."""
    invitee, refusal = _guest_or_error(token)
    if refusal:
        return refusal
    g.private_page = True
    poll = invitee.poll
    form = AnswerForm(obj=invitee)
    if request.method == "POST":
        if access.archived(poll):  # an archived community's polls take no more answers, even by link
            access.refuse_archived()
        if not form.validate_on_submit():
            return render_template("meetings/poll.html", **_poll_context(poll, invitee, form, token)), 422
        try:
            service.answer(poll, invitee, _answers_from_form(poll), _comment_from(form))
            if form.name.data:
                invitee.name = form.name.data
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return render_template("meetings/poll.html", **_poll_context(poll, invitee, form, token)), error.status
        db.session.commit()
        flash(_("Your answers are saved. You can change them with the same link until the poll closes."), "success")
        return redirect(url_for("meetings.guest_poll", token=token))
    return render_template("meetings/poll.html", **_poll_context(poll, invitee, form, token))


@bp.route("/polls/<int:poll_id>/finalize", methods=["POST"])
def finalize(poll_id):
    poll = _get_or_404(Poll, poll_id, "poll.manage")
    form = FinalizeForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the poll's slots."), "error")
        return redirect(url_for("meetings.poll", poll_id=poll.id))
    try:
        meeting = service.finalize(poll, current_user, service.get(PollSlot, form.slot_id.data))
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("meetings.poll", poll_id=poll.id))
    db.session.commit()
    flash(_("The meeting is planned; everyone invited receives an invitation."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/polls/<int:poll_id>/close", methods=["POST"])
def close_poll(poll_id):
    poll = _get_or_404(Poll, poll_id, "poll.manage")
    if ConfirmForm().validate_on_submit():
        try:
            service.close_poll(poll)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The poll is closed."), "success")
    return redirect(url_for("meetings.poll", poll_id=poll.id))


@bp.route("/polls/<int:poll_id>/guests/<int:invitee_id>/revoke", methods=["POST"])
def revoke_guest(poll_id, invitee_id):
    poll = _get_or_404(Poll, poll_id, "poll.manage")
    invitee = service.get(PollInvitee, invitee_id)
    if invitee is None or invitee.poll_id != poll.id or not invitee.is_guest:
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.revoke_guest(invitee)
        db.session.commit()
        flash(_("The personal link of %(email)s is withdrawn.", email=invitee.email), "success")
    return redirect(url_for("meetings.poll", poll_id=poll.id))


# --- meetings and events ------------------------------------------------------------------


# The services speak of start and end; the forms ask for a date and times.
TIME_FIELDS = {"start": "start_date", "end": "end_time"}


def _times_from(form, tz_name):
    zone = ZoneInfo(tz_name)
    start = datetime.combine(form.start_date.data, form.start_time.data.replace(tzinfo=None), tzinfo=zone)
    end_day = getattr(form, "end_date", None)
    end_day = end_day.data if end_day is not None and end_day.data else form.start_date.data
    end = datetime.combine(end_day, form.end_time.data.replace(tzinfo=None), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _rule_from(form, start, tz_name):
    until = None
    if form.repeat_until.data:
        until = datetime.combine(form.repeat_until.data, time(23, 59, 59), tzinfo=ZoneInfo(tz_name))
    try:
        return recurrence.rule_for(form.repeat.data, start.astimezone(ZoneInfo(tz_name)), until)
    except recurrence.InvalidRule:
        raise ServiceError(_("This repetition is not valid."), field="repeat") from None


@bp.route("/c/<slug>/calendar/new", methods=["GET", "POST"])
def new_entry(slug):
    community = community_or_404(slug)
    access.require("meeting.create", community)
    form = MeetingForm()
    if request.method == "GET":
        form.timezone.data = viewer_zone()
        if request.args.get("kind") == "event":
            form.kind.data = "event"
    if form.validate_on_submit():
        tz_name = form.timezone.data
        try:
            start, end = _times_from(form, tz_name)
            meeting = service.create_meeting(
                community, current_user, kind=form.kind.data, title=form.title.data, start=start, end=end, tz_name=tz_name,
                description=form.description.data, location=form.location.data, remote_url=form.remote_url.data,
                rrule=_rule_from(form, start, tz_name),
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error, TIME_FIELDS)
        else:
            db.session.commit()
            flash(_("“%(title)s” is on the calendar.", title=meeting.title), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/edit.html", community=community, form=form, meeting=None), 422 if form.errors else 200


def _next_occurrence(meeting):
    now = utcnow()
    upcoming = recurrence.occurrences(meeting, now, now + timedelta(days=400))
    return upcoming[0] if upcoming else None


@bp.route("/meetings/<int:meeting_id>")
def show(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.read")
    now = utcnow()
    upcoming = recurrence.occurrences(meeting, now - timedelta(hours=12), now + timedelta(days=190))[:12] if meeting.rrule else []
    cancelled = [o for o in meeting.overrides if o.cancelled]
    supported = {item.id for item in meeting.agenda_items for s in item.supports if s.user_id == current_user.id}
    return render_template(
        "meetings/show.html", meeting=meeting, community=meeting.community, viewer_tz=viewer_zone(),
        upcoming=upcoming, cancelled=cancelled, agenda=service.agenda(meeting), supported=supported,
        my_attendance=service.attendance_of(meeting, current_user), counts=service.attendance_counts(meeting),
        resources=service.mentioned_resources(meeting, current_user), notes=service.linked_notes(meeting, current_user),
        follow_ups=meeting.follow_ups, is_past=meeting.end <= now and not meeting.rrule,
        can_edit=access.can(current_user, "meeting.edit", meeting),
        can_participate=access.can(current_user, "meeting.participate", meeting) and not meeting.is_cancelled,
        can_follow_up=access.can(current_user, "meeting.follow_up", meeting),
        attendance_form=AttendanceForm(response=service.attendance_of(meeting, current_user)), agenda_form=AgendaForm(),
        follow_up_form=FollowUpForm(), confirm_form=ConfirmForm(),
    )


@bp.route("/meetings/<int:meeting_id>.ics")
def download(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.read")
    return ics_response(ics.document([meeting]), f"meeting-{meeting.id}.ics")


def ics_response(content, filename=None, inline=False):
    response = current_app.response_class(content, mimetype="text/calendar")
    response.headers["Content-Type"] = ics.MIMETYPE
    if filename:
        response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.edit")
    if meeting.is_cancelled:
        flash(_("This meeting is cancelled."), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    form = MeetingForm(obj=meeting)
    if request.method == "GET":
        start, end = local(meeting.start, meeting.timezone), local(meeting.end, meeting.timezone)
        form.start_date.data, form.start_time.data = start.date(), start.time()
        form.end_date.data, form.end_time.data = (end.date() if end.date() != start.date() else None), end.time()
        form.repeat.data = recurrence.pattern_of(meeting.rrule)
        until = recurrence.until_of(meeting.rrule)
        form.repeat_until.data = local(until, meeting.timezone).date() if until else None
    form.kind.data = meeting.kind
    if form.validate_on_submit():
        tz_name = form.timezone.data
        try:
            start, end = _times_from(form, tz_name)
            service.update_meeting(
                meeting, title=form.title.data, start=start, end=end, tz_name=tz_name, description=form.description.data,
                location=form.location.data, remote_url=form.remote_url.data, rrule=_rule_from(form, start, tz_name),
                actor=current_user,
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error, TIME_FIELDS)
        else:
            db.session.commit()
            flash(_("The changes are saved and sent to everyone invited."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/edit.html", community=meeting.community, form=form, meeting=meeting), 422 if form.errors else 200


def local(moment, tz_name):
    return moment.astimezone(ZoneInfo(tz_name))


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
def cancel(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.edit")
    if ConfirmForm().validate_on_submit():
        try:
            service.cancel_meeting(meeting, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The meeting is cancelled; everyone invited is told."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


def _occurrence_or_404(meeting, key):
    recurrence_id = recurrence.parse_key(key)
    if recurrence_id is None or not meeting.rrule or not recurrence.is_original_start(meeting, recurrence_id):
        abort(404)
    return recurrence_id


@bp.route("/meetings/<int:meeting_id>/occurrences/<key>", methods=["GET", "POST"])
def edit_occurrence(meeting_id, key):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.edit")
    recurrence_id = _occurrence_or_404(meeting, key)
    override = next((o for o in meeting.overrides if o.recurrence_id == recurrence_id), None)
    if override is not None and override.cancelled:
        abort(404)
    form = OccurrenceForm()
    if request.method == "GET":
        start = local(override.start if override and override.start else recurrence_id, meeting.timezone)
        end = local(override.end if override and override.end else recurrence_id + meeting.duration, meeting.timezone)
        form.start_date.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.title.data = override.title if override else ""
        form.location.data = override.location if override and override.location is not None else meeting.location
    if form.validate_on_submit():
        try:
            start, end = _times_from(form, meeting.timezone)
            service.edit_occurrence(meeting, recurrence_id, start=start, end=end, title=form.title.data,
                                    location=form.location.data if form.location.data != meeting.location else None, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error, TIME_FIELDS)
        else:
            db.session.commit()
            flash(_("This occurrence is changed; the others stay as they are."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template(
        "meetings/occurrence.html", meeting=meeting, community=meeting.community, form=form, key=key,
        original=local(recurrence_id, meeting.timezone), confirm_form=ConfirmForm(),
    ), 422 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/occurrences/<key>/cancel", methods=["POST"])
def cancel_occurrence(meeting_id, key):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.edit")
    recurrence_id = _occurrence_or_404(meeting, key)
    if ConfirmForm().validate_on_submit():
        try:
            service.cancel_occurrence(meeting, recurrence_id, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("This occurrence is cancelled; the others stay as they are."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
def attendance(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.participate")
    form = AttendanceForm()
    if form.validate_on_submit():
        try:
            service.set_attendance(meeting, current_user, form.response.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Your answer is saved."), "success")
    else:
        flash(_("Answer going, maybe or not going."), "error")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["POST"])
def propose_topic(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.participate")
    form = AgendaForm()
    if form.validate_on_submit():
        try:
            service.propose_topic(meeting, current_user, form.title.data, form.details.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The topic is proposed."), "success")
    else:
        flash(_("Name the topic."), "error")
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#agenda")


@bp.route("/agenda/<int:item_id>/support", methods=["POST"])
def support(item_id):
    item = service.get(AgendaItem, item_id)
    if item is None:
        abort(404)
    access.require("meeting.participate", item.meeting)
    if ConfirmForm().validate_on_submit():
        service.toggle_support(item, current_user)
        db.session.commit()
    return redirect(url_for("meetings.show", meeting_id=item.meeting_id) + "#agenda")


@bp.route("/meetings/<int:meeting_id>/follow-ups", methods=["POST"])
def add_follow_up(meeting_id):
    meeting = _get_or_404(Meeting, meeting_id, "meeting.follow_up")
    form = FollowUpForm()
    if form.validate_on_submit():
        service.add_follow_up(meeting, current_user, form.what.data, form.who.data, form.due.data)
        db.session.commit()
        flash(_("The follow-up is recorded."), "success")
    else:
        flash(_("Say what is to be done."), "error")
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#follow-up")


@bp.route("/follow-ups/<int:follow_up_id>/done", methods=["POST"])
def follow_up_done(follow_up_id):
    item = service.get(FollowUp, follow_up_id)
    if item is None:
        abort(404)
    access.require("meeting.follow_up", item.meeting)
    if ConfirmForm().validate_on_submit():
        service.toggle_follow_up(item)
        db.session.commit()
    return redirect(url_for("meetings.show", meeting_id=item.meeting_id) + "#follow-up")


# --- calendar -----------------------------------------------------------------------------


def _month_arg():
    value = request.args.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        if 1970 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = utcnow().astimezone(ZoneInfo(viewer_zone())).date()
    return today.year, today.month


@bp.route("/c/<slug>/calendar")
def calendar(slug):
    community = community_or_404(slug)
    access.require("community.read", community)
    tz_name = viewer_zone()
    zone = ZoneInfo(tz_name)
    view = "list" if request.args.get("view") == "list" else "month"
    year, month = _month_arg()
    first = date(year, month, 1)
    weeks = month_calendar.Calendar(firstweekday=6).monthdatescalendar(year, month)
    if view == "month":
        start_day, end_day = weeks[0][0], weeks[-1][-1] + timedelta(days=1)
    else:
        start_day = utcnow().astimezone(zone).date() if "month" not in request.args else first
        end_day = start_day + timedelta(days=92)
    start = datetime.combine(start_day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(end_day, time(0), tzinfo=zone).astimezone(timezone.utc)
    occurrences = service.calendar(community, start, end)
    by_day = {}
    for occurrence in occurrences:
        by_day.setdefault(occurrence.start.astimezone(zone).date(), []).append(occurrence)
    previous_month = (first - timedelta(days=1)).strftime("%Y-%m")
    next_month = (first + timedelta(days=32)).replace(day=1).strftime("%Y-%m")
    return render_template(
        "meetings/calendar.html", community=community, view=view, weeks=weeks, month=first, by_day=by_day,
        occurrences=occurrences, viewer_tz=tz_name, previous_month=previous_month, next_month=next_month,
        today=utcnow().astimezone(zone).date(), polls=service.open_polls(community, current_user),
        follow_ups=service.open_follow_ups(community),
        can_create=access.can(current_user, "meeting.create", community),
        can_poll=access.can(current_user, "poll.create", community),
    )


@bp.route("/calendar/<token>.ics")
def feed(token):
    """The private feed: the token in the address is the only credential."""
    found = service.find_feed(token)
    if found is None:
        abort(404)
    found.last_used_at = utcnow()
    content = service.feed_document(found)
    db.session.commit()
    return ics_response(content, "hub.ics", inline=True)


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def account_calendar():
    access.require("calendar.feed")
    g.private_page = True
    form = ReminderForm(obj=current_user)
    if form.validate_on_submit():
        current_user.reminder_hours = form.reminder_hours.data
        db.session.commit()
        flash(_("Your reminder setting is saved."), "success")
        return redirect(url_for("meetings.account_calendar"))
    found = service.feed_for(current_user, create=False)
    feed_url = service.feed_url(found) if found else None
    return render_template(
        "meetings/account_calendar.html", form=form, feed_url=feed_url, confirm_form=ConfirmForm(),
        subscribe=subscribe_links(feed_url) if feed_url else None,
    ), 422 if form.errors else 200


def subscribe_links(feed_url):
    """One-click subscriptions to a feed: webcal:// (Apple Calendar, Thunderbird, phones), and the
    "add by URL" pages of Google Agenda and Outlook."""
    from urllib.parse import quote, urlencode

    webcal = "webcal://" + feed_url.split("://", 1)[1]
    name = str(_("The hub"))
    return {
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}, quote_via=quote),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?" + urlencode({"url": feed_url, "name": name}, quote_via=quote),
        "office": "https://outlook.office.com/calendar/0/addfromweb?" + urlencode({"url": feed_url, "name": name}, quote_via=quote),
    }


@bp.route("/account/calendar/feed", methods=["POST"])
@login_required
def regenerate_feed():
    access.require("calendar.feed")
    form = FeedForm()
    if form.validate_on_submit() and form.action.data == "renew":
        service.regenerate_feed(current_user)
        db.session.commit()
        flash(_("Your calendar address is ready. Any previous address no longer works."), "success")
    return redirect(url_for("meetings.account_calendar"))


@bp.route("/account/calendar/feed/revoke", methods=["POST"])
@login_required
def revoke_feed():
    access.require("calendar.feed")
    form = FeedForm()
    if form.validate_on_submit() and form.action.data == "revoke":
        service.revoke_feed(current_user)
        db.session.commit()
        flash(_("Your calendar address is revoked: calendars subscribed to it stop updating."), "success")
    return redirect(url_for("meetings.account_calendar"))


# --- template helpers ---------------------------------------------------------------------


@bp.app_template_filter("in_zone")
def in_zone(moment, tz_name, fmt="medium"):
    """A time in a given zone, in the page's language."""
    from flask_babel import get_locale

    from babel.dates import format_date, format_datetime, format_time

    if moment is None:
        return ""
    zone = ZoneInfo(tz_name)
    if fmt == "time":
        return format_time(moment, "short", tzinfo=zone, locale=get_locale())
    if fmt == "day":
        return format_datetime(moment, "EEEE d MMMM", tzinfo=zone, locale=get_locale())
    if fmt == "full":
        return service.moment_text(moment, tz_name, get_locale())
    return f"{format_date(moment.astimezone(zone).date(), 'medium', locale=get_locale())} {format_time(moment, 'short', tzinfo=zone, locale=get_locale())}"


@bp.app_template_filter("zone_label")
def zone_label(tz_name):
    from flask_babel import get_locale

    from ..timeutil import zone_label as label

    return label(tz_name, get_locale())


@bp.app_template_global("format_day")
def format_day(day, fmt="EEEE d MMMM y"):
    from babel.dates import format_date
    from flask_babel import get_locale

    return format_date(day, fmt, locale=get_locale())


@bp.app_template_global("community_meetings_panel")
def community_meetings_panel(community):
    """What the community page shows of the calendar: the next meetings and the open follow-up."""
    if not access.can(current_user, "community.read", community):
        return None
    now = utcnow()
    upcoming = service.calendar(community, now, now + timedelta(days=60))[:5]
    return {"upcoming": upcoming, "follow_ups": service.open_follow_ups(community), "viewer_tz": viewer_zone()}
