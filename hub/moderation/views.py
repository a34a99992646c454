"""Pages: flag an item, the community's moderation queue, the admins' queue of profiles."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..accounts.forms import ConfirmForm
from ..communities.views import community_or_404
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import show_service_error
from . import service
from .forms import FlagForm

bp = Blueprint("moderation", __name__)

ACTIONS = ("hide", "restore", "delete")


def _item_or_404(kind_name, object_id):
    """The item if the person may read it; 404 otherwise (whether it exists is not said)."""
    kind, obj = service.find(kind_name, object_id)
    if obj is None or not service.readable(current_user, kind, obj):
        abort(404)
    return kind, obj


@bp.route("/flag/<kind>/<int:object_id>", methods=["GET", "POST"])
@login_required
def flag(kind, object_id):
    kind, obj = _item_or_404(kind, object_id)
    if not access.can(current_user, f"{kind.name}.flag", obj):
        abort(403)
    already = service.my_flag(kind.name, obj.id, current_user)
    form = FlagForm()
    if already is None and form.validate_on_submit():
        try:
            service.flag(kind, obj, current_user, form.reason.data, form.text.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Thank you: the moderators will look at it."), "success")
            return redirect(kind.url(obj))
    status = 422 if form.errors else 200
    return render_template("moderation/flag.html", form=form, kind=kind, obj=obj, already=already,
                           reason_labels=service.REASON_LABELS), status


@bp.route("/c/<slug>/moderation")
def community_queue(slug):
    community = community_or_404(slug)
    access.require("community.moderate", community)
    return render_template("moderation/queue.html", community=community, items=service.queue(community),
                           reason_labels=service.REASON_LABELS, form=ConfirmForm())


@bp.route("/moderation")
@login_required
def profiles_queue():
    access.require("moderation.profiles")
    return render_template("moderation/queue.html", community=None, items=service.queue(None),
                           reason_labels=service.REASON_LABELS, form=ConfirmForm())


@bp.route("/moderation/<kind>/<int:object_id>/<action>", methods=["POST"])
@login_required
def act(kind, object_id, action):
    if action not in ACTIONS:
        abort(404)
    kind, obj = _item_or_404(kind, object_id)
    if not service.may_moderate(current_user, kind, obj):
        abort(403)
    community = kind.community(obj)
    back = url_for("moderation.community_queue", slug=community.slug) if community is not None else url_for("moderation.profiles_queue")
    if not ConfirmForm().validate_on_submit():
        flash(_("This form has expired or was not sent from the hub. Please reload the page and try again."), "error")
        return redirect(back)
    title = kind.title(obj)
    try:
        after = getattr(service, action)(kind, obj, current_user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    db.session.commit()
    if action == "delete" and callable(after):
        after()
    flash({
        "hide": _("“%(title)s” is hidden; its author is told.", title=title),
        "restore": _("“%(title)s” is visible again; its flags are dismissed.", title=title),
        "delete": _("“%(title)s” is deleted; its author is told.", title=title),
    }[action], "success")
    return redirect(back)
