from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import access
from ..accounts.forms import ConfirmForm
from ..communities.views import community_or_404
from ..exceptions import ServiceError
from ..forms import show_service_error
from ..extensions import db
from . import service
from .forms import ResourceForm, ThemeForm, VersionForm, language_labels, type_labels
from .models import TYPES

bp = Blueprint("resources", __name__)


def resource_or_404(resource_id, action="resource.read"):
    resource = service.get(resource_id)
    if resource is None:
        abort(404)
    access.require(action, resource)
    if action == "resource.read" and access.hidden_from(current_user, "resource", resource):
        # Hidden pending moderation: a placeholder instead of the page, the print view or the file.
        abort(make_response(render_template(
            "moderation/hidden.html", back_url=url_for("resources.browse", slug=resource.community.slug), back_label=_("Resources"),
        )))
    return resource


def _metadata(form):
    return {name: getattr(form, name).data for name in service.METADATA_FIELDS}



def _upload(form):
    data = form.file.data
    return data if data is not None and getattr(data, "filename", None) else None


def _int_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.route("/c/<slug>/resources")
def browse(slug):
    community = community_or_404(slug)
    access.require("community.read", community)
    filters = {
        "type": request.args.get("type") if request.args.get("type") in TYPES else None,
        "theme": _int_arg("theme"),
        "municipality": request.args.get("municipality", "")[:120] or None,
        "year": _int_arg("year"),
        "language": request.args.get("language") if request.args.get("language") in ("fr", "en") else None,
    }
    page = max(_int_arg("page") or 1, 1)
    total, rows, facets = service.browse(community, filters, page=page)
    return render_template(
        "resources/browse.html", community=community, rows=rows, total=total, facets=facets, filters=filters,
        page=page, per_page=20, type_labels=type_labels(), language_labels=language_labels(),
        can_add=access.can(current_user, "resource.create", community),
        all_themes=service.themes_of(community), followed=service.followed_theme_ids(current_user, community), confirm_form=ConfirmForm(),
    )


@bp.route("/c/<slug>/resources/new", methods=["GET", "POST"])
def create(slug):
    community = community_or_404(slug)
    access.require("resource.create", community)
    form = ResourceForm(themes=service.themes_of(community))
    if form.validate_on_submit():
        try:
            resource = service.create(
                community, current_user, _metadata(form), service.themes_by_ids(community, form.themes.data),
                file=_upload(form), url=form.url.data or None,
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
            return render_template("resources/edit.html", form=form, community=community, resource=None), error.status if error.status in (413, 415) else 422
        db.session.commit()
        version = resource.current_version
        if version is not None and version.extraction_status == "failed":
            flash(_("The file is saved, but its text could not be read for search."), "info")
        else:
            flash(_("The resource is added."), "success")
        return redirect(url_for("resources.show", resource_id=resource.id))
    return render_template("resources/edit.html", form=form, community=community, resource=None), 422 if form.errors else 200


@bp.route("/resources/<int:resource_id>")
def show(resource_id):
    resource = resource_or_404(resource_id)
    version = resource.current_version
    preview = version.text[: service.PREVIEW_CHARS] if version is not None else ""
    return render_template(
        "resources/show.html", resource=resource, community=resource.community, version=version, preview=preview,
        truncated=version is not None and len(version.text) > service.PREVIEW_CHARS,
        type_labels=type_labels(), language_labels=language_labels(),
        can_edit=access.can(current_user, "resource.edit", resource), version_form=VersionForm(), confirm_form=ConfirmForm(),
    )


@bp.route("/resources/<int:resource_id>/print")
def print_view(resource_id):
    resource = resource_or_404(resource_id)
    return render_template("resources/print.html", resource=resource, community=resource.community, type_labels=type_labels(), language_labels=language_labels())


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
def edit(resource_id):
    resource = resource_or_404(resource_id, "resource.edit")
    community = resource.community
    form = ResourceForm(obj=resource, themes=service.themes_of(community))
    if request.method == "GET":
        form.themes.data = [t.id for t in resource.themes]
    if form.validate_on_submit():
        try:
            service.update(resource, _metadata(form), service.themes_by_ids(community, form.themes.data), url=form.url.data if not resource.versions else None)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The resource is saved."), "success")
            return redirect(url_for("resources.show", resource_id=resource.id))
    return render_template("resources/edit.html", form=form, community=community, resource=resource), 422 if form.errors else 200


@bp.route("/resources/<int:resource_id>/versions", methods=["POST"])
def add_version(resource_id):
    resource = resource_or_404(resource_id, "resource.edit")
    form = VersionForm()
    if not form.validate_on_submit() or _upload(form) is None:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("resources.show", resource_id=resource.id))
    try:
        version = service.add_version(resource, current_user, _upload(form))
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("resources.show", resource_id=resource.id))
    db.session.commit()
    flash(_("Version %(number)d is added; the previous ones are kept.", number=version.number), "success")
    return redirect(url_for("resources.show", resource_id=resource.id))


@bp.route("/resources/<int:resource_id>/download")
@bp.route("/resources/<int:resource_id>/versions/<int:number>/download")
def download(resource_id, number=None):
    resource = resource_or_404(resource_id)
    version = resource.current_version if number is None else next((v for v in resource.versions if v.number == number), None)
    if version is None:
        abort(404)
    return send_version(version)


def send_version(version):
    path = service.blob_path(version)
    if not path.exists():
        current_app.logger.error("Missing file for version %s (%s)", version.id, version.sha256)
        abort(404)
    # Cleaned again here: a name stored before names were cleaned may hold a line break.
    name = service.clean_filename(version.filename)
    response = send_file(path, mimetype=version.mimetype, as_attachment=True, download_name=name, etag=version.sha256, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/resources/<int:resource_id>/delete", methods=["POST"])
def delete(resource_id):
    resource = resource_or_404(resource_id, "resource.delete")
    slug = resource.community.slug
    if ConfirmForm().validate_on_submit():
        title = resource.title
        hashes = service.delete(resource, current_user)
        db.session.commit()
        service.forget_files(hashes)
        flash(_("“%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("resources.browse", slug=slug))


@bp.route("/c/<slug>/themes", methods=["GET", "POST"])
def themes(slug):
    community = community_or_404(slug)
    access.require("community.themes", community)
    form = ThemeForm()
    if form.validate_on_submit():
        try:
            service.add_theme(community, form.name.data)
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            db.session.commit()
            flash(_("The theme “%(name)s” is added.", name=form.name.data), "success")
            return redirect(url_for("resources.themes", slug=slug))
    return render_template("resources/themes.html", community=community, form=form, themes=service.themes_of(community), confirm_form=ConfirmForm()), 422 if form.errors else 200


@bp.route("/c/<slug>/themes/<int:theme_id>/follow", methods=["POST"])
def follow_theme(slug, theme_id):
    """Follow a theme or stop following it (``follow``: 1 or 0), from the resources page."""
    community = community_or_404(slug)
    theme = service.theme_of(community, theme_id)
    if theme is None:
        abort(404)
    access.require("theme.follow", theme)
    if ConfirmForm().validate_on_submit():
        follow = request.form.get("follow") == "1"
        service.follow_theme(current_user, theme, follow)
        db.session.commit()
        flash(_("You follow the theme “%(name)s”: each new resource filed under it is notified to you.", name=theme.name) if follow
              else _("You no longer follow the theme “%(name)s”.", name=theme.name), "success")
    return redirect(url_for("resources.browse", slug=slug) + "#follow-themes")


@bp.route("/c/<slug>/themes/<int:theme_id>/delete", methods=["POST"])
def delete_theme(slug, theme_id):
    community = community_or_404(slug)
    access.require("community.themes", community)
    theme = next((t for t in service.themes_of(community) if t.id == theme_id), None)
    if theme is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.delete_theme(theme)
        db.session.commit()
        flash(_("The theme “%(name)s” is removed from the list.", name=theme.name), "success")
    return redirect(url_for("resources.themes", slug=slug))
