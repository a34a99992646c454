"""/admin: the instance administrators' pages. Every page and action asks access for "admin.panel"."""
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext as _
from flask_login import current_user, login_required

from .. import access
from ..accounts.forms import ConfirmForm
from ..accounts.models import User
from ..communities import service as communities
from ..exceptions import ServiceError
from ..extensions import db
from ..notifications.models import OutgoingEmail
from ..timeutil import utcnow
from . import service
from .forms import TransferForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    access.require("admin.panel")
    g.private_page = True


@bp.app_template_filter("filesize")
def filesize(size):
    """Bytes as the viewer reads them: "12,5 Mo" in French, "12.5 MB" in English."""
    size = float(size or 0)
    for unit in (_("%(num)s B"), _("%(num)s KB"), _("%(num)s MB"), _("%(num)s GB")):
        if size < 1024:
            break
        size /= 1024
    else:
        unit = _("%(num)s TB")
    return unit % {"num": format_decimal(round(size, 1))}


def _confirmed():
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _back(default):
    """Back to the list the action was started from (its page and search), never elsewhere."""
    target = request.form.get("next", "")
    if target.startswith("/admin") and not target.startswith("//"):
        return redirect(target)
    return redirect(default)


def _act(action, *args):
    """Run a service action and commit, or roll back and show its error."""
    try:
        result = action(current_user, *args)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return None, False
    db.session.commit()
    return result, True


@bp.route("")
def index():
    return render_template("admin/index.html", stats=service.overview())


# --- people ---------------------------------------------------------------------------


def _user_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/people")
def people():
    query = request.args.get("q", "")[:200]
    found = service.people(query, service.page_number(request.args.get("page")))
    return render_template("admin/people.html", found=found, query=query)


@bp.route("/people/<int:user_id>/active", methods=["POST"])
def set_active(user_id):
    _confirmed()
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    _result, ok = _act(service.set_active, user, active)
    if ok:
        flash(_("%(name)s can log in again.", name=user.display_name) if active else _("%(name)s's account is disabled and signed out everywhere.", name=user.display_name), "success")
    return _back(url_for("admin.people"))


@bp.route("/people/<int:user_id>/end-sessions", methods=["POST"])
def end_sessions(user_id):
    _confirmed()
    user = _user_or_404(user_id)
    _result, ok = _act(service.end_sessions, user)
    if ok:
        flash(_("%(name)s is signed out everywhere.", name=user.display_name), "success")
    return _back(url_for("admin.people"))


@bp.route("/people/<int:user_id>/admin", methods=["POST"])
def set_admin(user_id):
    _confirmed()
    user = _user_or_404(user_id)
    make_admin = request.form.get("admin") == "1"
    _result, ok = _act(service.set_admin, user, make_admin)
    if ok:
        flash(_("%(name)s is now an administrator.", name=user.display_name) if make_admin else _("%(name)s is no longer an administrator.", name=user.display_name), "success")
    return _back(url_for("admin.people"))


# --- communities ----------------------------------------------------------------------


def _community_or_404(slug):
    community = communities.by_slug(slug)
    if community is None:
        abort(404)
    return community


@bp.route("/communities")
def community_list():
    query = request.args.get("q", "")[:200]
    found = service.community_list(query, service.page_number(request.args.get("page")))
    return render_template("admin/communities.html", found=found, query=query)


@bp.route("/communities/<slug>/archive", methods=["POST"])
def archive(slug):
    _confirmed()
    community = _community_or_404(slug)
    _result, ok = _act(service.archive, community)
    if ok:
        flash(_("“%(name)s” is archived: it can be read, nothing in it can change.", name=community.name), "success")
    return _back(url_for("admin.community_list"))


@bp.route("/communities/<slug>/unarchive", methods=["POST"])
def unarchive(slug):
    _confirmed()
    community = _community_or_404(slug)
    _result, ok = _act(service.unarchive, community)
    if ok:
        flash(_("“%(name)s” is active again.", name=community.name), "success")
    return _back(url_for("admin.community_list"))


@bp.route("/communities/<slug>/transfer", methods=["GET", "POST"])
def transfer(slug):
    community = _community_or_404(slug)
    form = TransferForm()
    facilitators = communities.members(community, roles={"facilitator"})
    if form.validate_on_submit():
        user = service.user_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("No account has this email address."))
        else:
            try:
                service.transfer(current_user, community, user, form.demote.data)
            except ServiceError as error:
                db.session.rollback()
                form.email.errors.append(str(error.message))
            else:
                db.session.commit()
                flash(_("%(name)s is now a facilitator of “%(community)s”.", name=user.display_name, community=community.name), "success")
                return redirect(url_for("admin.community_list", q=community.slug))
    status = 422 if form.errors else 200
    return render_template("admin/transfer.html", form=form, target=community, facilitators=facilitators), status


# --- email outbox ---------------------------------------------------------------------


@bp.route("/outbox")
def outbox():
    status = request.args.get("status", "failed")
    if status not in service.OUTBOX_STATUSES:
        status = "failed"
    found = service.outbox(status, service.page_number(request.args.get("page")))
    return render_template("admin/outbox.html", found=found, status=status, counts=service.outbox_counts(), max_attempts=service.MAX_ATTEMPTS)


@bp.route("/outbox/<int:email_id>/retry", methods=["POST"])
def retry_email(email_id):
    _confirmed()
    message = db.session.get(OutgoingEmail, email_id)
    if message is None:
        abort(404)
    _result, ok = _act(service.retry_email, message)
    if ok:
        service.wake_mailer()
        flash(_("The email to %(recipient)s will be sent again shortly.", recipient=message.recipient), "success")
    return _back(url_for("admin.outbox"))


@bp.route("/outbox/retry-failed", methods=["POST"])
def retry_failed():
    _confirmed()
    count, ok = _act(service.retry_failed)
    if ok:
        service.wake_mailer()
        flash(_("%(num)d failed email will be sent again shortly.", num=count) if count == 1 else _("%(num)d failed emails will be sent again shortly.", num=count), "success")
    return _back(url_for("admin.outbox"))


# --- search index ---------------------------------------------------------------------


@bp.route("/search")
def search_index():
    report = service.search_check() if request.args.get("check") else None
    from .. import search

    return render_template("admin/search.html", report=report, status=search.status(), pending=search.pending_count())


@bp.route("/search/reindex", methods=["POST"])
def reindex():
    _confirmed()
    counts, ok = _act(service.search_reindex)
    if ok:
        flash(_("The search index is rebuilt: %(num)d documents.", num=sum(counts.values())), "success")
    return redirect(url_for("admin.search_index"))


# --- storage --------------------------------------------------------------------------


@bp.route("/storage")
def storage():
    return render_template("admin/storage.html", storage=service.storage())


# --- audit log ------------------------------------------------------------------------


def _audit_condition():
    args = request.args
    filters = {"action": args.get("action", "")[:60].strip(), "actor": args.get("actor", "")[:200].strip(), "from": args.get("from", "")[:10], "to": args.get("to", "")[:10]}
    error = None
    try:
        since, until = service.parse_day(filters["from"]), service.parse_day(filters["to"])
    except ServiceError as problem:
        error, since, until = str(problem.message), None, None
    condition = service.audit_filter(filters["action"], filters["actor"], since, until, current_user.timezone)
    return condition, filters, error


@bp.route("/audit")
def audit_log():
    condition, filters, error = _audit_condition()
    found = service.audit_entries(condition, service.page_number(request.args.get("page")))
    return render_template("admin/audit.html", found=found, filters=filters, error=error, actions=service.audit_actions()), 422 if error else 200


@bp.route("/audit.csv")
def audit_csv():
    condition, filters, error = _audit_condition()
    if error:
        flash(error, "error")
        return redirect(url_for("admin.audit_log"))
    body = service.audit_csv(condition)
    service.record_export(current_user, filters)
    db.session.commit()
    name = f"audit-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
