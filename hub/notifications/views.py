"""Pages: the notification centre, notification preferences, unsubscribe links (one-click for mail providers)."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..communities import service as communities
from ..errors import render_error
from ..extensions import csrf, db
from . import service
from .forms import PreferenceForm

bp = Blueprint("notifications", __name__)


def _page():
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and len(value) < 6 and int(value) > 0 else 1


@bp.route("/notifications")
@login_required
def index():
    access.require("notifications.own")
    g.private_page = True
    page = _page()
    total, rows = service.for_user(current_user, page=page)
    return render_template("notifications/index.html", rows=rows, total=total, page=page, per_page=service.PER_PAGE)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    access.require("notifications.own")
    service.mark_read(current_user)
    db.session.commit()
    flash(_("Every notification is marked as read."), "success")
    return redirect(url_for("notifications.index"))


def _preference_forms(failed=None):
    forms = []
    for membership in communities.my_communities(current_user):
        community = membership.community
        if failed is not None and failed.community.data == community.slug:
            forms.append((community, failed))
            continue
        pref = service.preference(current_user, community)
        forms.append((community, PreferenceForm(formdata=None, community=community.slug, level=pref.level, email=pref.email,
                                                prefix=f"c{community.id}")))
    return forms


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    access.require("notifications.own")
    g.private_page = True
    form = None
    if request.method == "POST":
        prefix = request.form.get("prefix", "")
        prefix = prefix if isinstance(prefix, str) and prefix.startswith("c") and prefix[1:].isdigit() and len(prefix) < 12 else ""
        form = PreferenceForm(prefix=prefix)
        community = communities.by_slug(form.community.data) if isinstance(form.community.data, str) else None
        if form.validate_on_submit() and community is not None and access.role_in(current_user, community) is not None:
            service.set_preference(current_user, community, level=form.level.data, email=form.email.data)
            db.session.commit()
            flash(_("Your notification settings for %(name)s are saved.", name=community.name), "success")
            return redirect(url_for("notifications.preferences"))
        if community is None or access.role_in(current_user, community) is None:
            form.community.errors = list(form.community.errors) + [_("Choose one of your communities.")]
    from .weekly import is_subscribed

    return render_template("notifications/preferences.html", forms=_preference_forms(form), weekly=is_subscribed(current_user)), \
        422 if form is not None else 200


ONE_CLICK = ("List-Unsubscribe", "One-Click")  # the body of a one-click unsubscribe (RFC 8058)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the key, not a session: mail providers post it without cookies or a form token
def unsubscribe(token):
    """The unsubscribe link of every notification email, also its List-Unsubscribe address: no more
    email from that community. A GET only shows a button (mail scanners open links); a POST with the
    body ``List-Unsubscribe=One-Click`` (the button's, or a mail provider's) does it, as often as asked."""
    g.private_page = True
    found = service.unsubscribe_target(token)
    if found is None:
        return render_error(404, _("This unsubscribe link is not valid. You can choose which emails you receive in your notification settings."))
    user, community = found
    if request.method == "GET":
        done = service.preference(user, community).email == "never"
        return render_template("notifications/unsubscribe.html", community=community, token=token, done=done, one_click=ONE_CLICK)
    if request.form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
        return render_error(400, _("This unsubscribe request is incomplete. Open the link of the email again and use its button."))
    service.unsubscribe(user, community)
    db.session.commit()
    return render_template("notifications/unsubscribed.html", community=community)


@bp.route("/notifications/weekly/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the key, as for the other unsubscribe links
def weekly_unsubscribe(token):
    """The unsubscribe link (and List-Unsubscribe address) of the weekly email: a GET shows a button,
    a POST with ``List-Unsubscribe=One-Click`` stops the weekly email."""
    from . import weekly

    g.private_page = True
    user = weekly.unsubscribe_target(token)
    if user is None:
        return render_error(404, _("This unsubscribe link is not valid. You can choose which emails you receive in your notification settings."))
    if request.method == "GET":
        return render_template("notifications/weekly_unsubscribe.html", token=token, done=not weekly.is_subscribed(user), one_click=ONE_CLICK)
    if request.form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
        return render_error(400, _("This unsubscribe request is incomplete. Open the link of the email again and use its button."))
    weekly.subscribe(user, False)
    db.session.commit()
    return render_template("notifications/weekly_unsubscribe.html", token=token, done=True, one_click=ONE_CLICK)


@bp.route("/account/notifications/weekly", methods=["POST"])
@login_required
def weekly_setting():
    """Receive the weekly email or not, from the notification settings (``weekly``: 1 or 0)."""
    from ..accounts.forms import ConfirmForm
    from . import weekly

    access.require("notifications.own")
    if ConfirmForm().validate_on_submit() and request.form.get("weekly") in ("0", "1"):
        on = request.form.get("weekly") == "1"
        weekly.subscribe(current_user, on)
        db.session.commit()
        flash(_("You will receive the weekly email.") if on else _("You will no longer receive the weekly email."), "success")
    return redirect(url_for("notifications.preferences") + "#weekly-heading")
