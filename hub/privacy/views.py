"""Pages: the privacy policy, its editing by the administrator, and "My data" (export, deletion)."""
import tempfile

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from .. import access
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import show_service_error
from ..markup import render
from . import service
from .forms import DeleteAccountForm, ExportForm, PolicyForm

bp = Blueprint("privacy", __name__)


@bp.route("/privacy")
def policy():
    found = service.policy()
    return render_template(
        "privacy/policy.html", policy_html=render(service.policy_text(get_locale())),
        updated_at=found.updated_at if found is not None else None,
    )


@bp.route("/privacy/edit", methods=["GET", "POST"])
@login_required
def edit_policy():
    access.require("privacy.edit")
    g.private_page = True
    form = PolicyForm()
    if request.method == "GET":
        form.body_fr.data, form.body_en.data = service.policy_text("fr_CA"), service.policy_text("en")
    if form.validate_on_submit():
        try:
            service.save_policy(current_user, form.body_fr.data, form.body_en.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The privacy policy is saved."), "success")
            return redirect(url_for("privacy.policy"))
    return render_template("privacy/edit.html", form=form), 422 if form.errors else 200


@bp.route("/account/data")
@login_required
def my_data():
    access.require("account.manage", current_user)
    g.private_page = True
    return _data_page(ExportForm(), DeleteAccountForm())


def _data_page(export_form, delete_form, status=200):
    blocking = service.communities_left_without_facilitator(current_user)
    return render_template("privacy/data.html", export_form=export_form, delete_form=delete_form, blocking=blocking), status


@bp.route("/account/data/export", methods=["POST"])
@login_required
def export():
    access.require("account.manage", current_user)
    g.private_page = True
    form = ExportForm()
    if not form.validate_on_submit() or request.form.get("download") != "1":  # the page's own button, nothing else
        return _data_page(form, DeleteAccountForm(formdata=None), 422)
    stream = tempfile.TemporaryFile()
    service.write_export(current_user, stream)
    db.session.commit()
    stream.seek(0)
    return send_file(stream, mimetype="application/zip", as_attachment=True, download_name=service.export_filename(current_user))


@bp.route("/account/delete", methods=["POST"])
@login_required
def delete_account():
    access.require("account.manage", current_user)
    g.private_page = True
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            later = service.delete_account(user, form.password.data, form.content.data)
        except ServiceError as error:
            db.session.rollback()
            if error.field:
                show_service_error(form, error)
            else:  # the last-facilitator refusal is about the account, not a field
                flash(str(error.message), "error")
        else:
            db.session.commit()
            service.finish_deletion(later)
            logout_user()
            session.clear()
            flash(_("Your account is deleted. Thank you for taking part."), "success")
            return redirect(url_for("core.home"))
    return _data_page(ExportForm(formdata=None), form, 422)
