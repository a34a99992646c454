"""Resources in the JSON API (/api/v1)."""
from flask import jsonify, request, url_for
from flask_login import current_user
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from .. import access
from ..api import bp
from ..api.helpers import ApiError, form_errors, json_body, service_error, validated
from ..api.serializers import iso, user_json
from ..api.views import _community, _require
from ..exceptions import ServiceError
from ..extensions import db
from . import service
from .forms import ResourceForm
from .models import LANGUAGES, TYPES, Resource
from .views import send_version

STRING_FIELDS = ("title", "summary", "type", "url", "tags", "municipality", "language", "source_organization", "licence", *Resource.STORY_FIELDS)


def version_json(version):
    return {
        "number": version.number, "filename": version.filename, "mimetype": version.mimetype, "size": version.size,
        "sha256": version.sha256, "created_at": iso(version.created_at), "extraction_status": version.extraction_status,
        "extraction_reason": version.extraction_reason or None, "pages": version.pages,
        "download_url": url_for("api.resource_download", resource_id=version.resource_id, number=version.number, _external=True),
    }


def _hidden_from_caller(resource):
    from flask_login import AnonymousUserMixin

    from ..api.helpers import authenticated_user

    return access.hidden_from(authenticated_user() or AnonymousUserMixin(), "resource", resource)


def resource_json(resource, full=True):
    if _hidden_from_caller(resource):  # hidden pending moderation: only that is said
        return {
            "id": resource.id, "community": resource.community.slug, "hidden": True,
            "message": _("This content is hidden pending moderation."),
            "page_url": url_for("resources.show", resource_id=resource.id, _external=True),
        }
    version = resource.current_version
    data = {
        "id": resource.id, "community": resource.community.slug, "title": resource.title, "type": resource.type,
        "summary": resource.summary, "url": resource.url, "themes": [t.name for t in resource.themes], "tags": resource.tag_list,
        "municipality": resource.municipality or None, "language": resource.language, "year": resource.year,
        "source_organization": resource.source_organization or None, "licence": resource.licence or None,
        "author": user_json(resource.author) if resource.author else None,
        "created_at": iso(resource.created_at), "updated_at": iso(resource.updated_at),
        "extraction_status": version.extraction_status if version else None,
        "page_url": url_for("resources.show", resource_id=resource.id, _external=True),
        "hidden": resource.hidden_at is not None,
    }
    if full:
        data["summary_html"] = resource.summary_html
        data["story"] = {name.removeprefix("story_"): getattr(resource, name) for name in resource.STORY_FIELDS}
        data["versions"] = [version_json(v) for v in resource.versions]
    return data


def _theme_names(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(422, _("Some fields are not valid."), code="invalid", fields={"themes": [_("A list of theme names.")]})
    return [v.strip() for v in value if v.strip()]


def _refuse_oversized_body():
    """A body over MAX_CONTENT_LENGTH is refused before anything else, whatever the path names."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise ApiError(413)


def _resource(resource_id, action):
    resource = service.get(resource_id)
    if resource is None:
        raise ApiError(404)
    _require(action, resource)
    return resource


@bp.route("/communities/<slug>/resources", methods=["POST"])
def create_resource(slug):
    _refuse_oversized_body()
    community = _community(slug)
    user = _require("resource.create", community)
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, _("Send the resource as multipart/form-data (a file or a url, and its fields)."))
    formdata = MultiDict(request.form)
    names = _theme_names(formdata.pop("themes", None))
    form = ResourceForm(formdata=CombinedMultiDict([request.files, formdata]), meta={"csrf": False})
    if not form.validate():
        raise form_errors(form)
    upload = request.files.get("file")
    try:
        themes = service.themes_by_names(community, names or [])
        resource = service.create(
            community, user, {name: getattr(form, name).data for name in service.METADATA_FIELDS}, themes,
            file=upload if upload is not None and upload.filename else None, url=form.url.data or None,
        )
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return jsonify(resource_json(resource)), 201


@bp.route("/communities/<slug>/resources", methods=["GET"])
def list_resources(slug):
    community = _community(slug)
    _require("community.read", community)
    args = request.args
    errors = {}

    def integer(name, default, low, high):
        raw = args.get(name)
        if raw is None or raw == "":
            return default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not low <= int(raw) <= high:
            errors[name] = [_("Must be a whole number between %(low)d and %(high)d.", low=low, high=high)]
            return default
        return int(raw)

    page, per_page = integer("page", 1, 1, 100000), integer("per_page", 20, 1, 100)
    year = integer("year", None, 1900, 2100)
    if args.get("type") and args["type"] not in TYPES:
        errors["type"] = [_("Choose a type from the list.")]
    if args.get("language") and args["language"] not in LANGUAGES:
        errors["language"] = [_("Choose a language from the list.")]
    theme_id = None
    if args.get("theme"):
        match = [t for t in service.themes_of(community) if t.name.casefold() == args["theme"].casefold()]
        theme_id = match[0].id if match else -1
    if errors:
        raise ApiError(422, _("Some fields are not valid."), code="invalid", fields=errors)
    filters = {"type": args.get("type") or None, "theme": theme_id, "municipality": args.get("municipality") or None, "year": year, "language": args.get("language") or None}
    total, rows, _facets = service.browse(community, filters, page=page, per_page=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page, "resources": [resource_json(r, full=False) for r in rows]})


@bp.route("/resources/<int:resource_id>", methods=["GET"])
def get_resource(resource_id):
    return jsonify(resource_json(_resource(resource_id, "resource.read")))


@bp.route("/resources/<int:resource_id>", methods=["PUT"])
def update_resource(resource_id):
    _refuse_oversized_body()
    resource = _resource(resource_id, "resource.edit")
    data = dict(json_body())
    themes_sent = "themes" in data
    names = _theme_names(data.pop("themes", None))
    if themes_sent and names is None:
        names = []  # null removes the themes, like []
    if "year" in data:
        year = data["year"]
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            raise ApiError(422, _("Some fields are not valid."), code="invalid", fields={"year": [_("Must be a whole number between %(low)d and %(high)d.", low=1900, high=2100)]})
        data["year"] = "" if year is None else str(year)
    # A field left out keeps its value; null removes it, like an emptied field of the edit page
    # (and is refused, like an empty one, for the title, type and language).
    for name in STRING_FIELDS:
        if name in data and data[name] is None:
            data[name] = ""
    form = validated(ResourceForm, data, strings=(*STRING_FIELDS, "year"), obj=resource)
    values = {name: getattr(form, name).data for name in service.METADATA_FIELDS if name in data}
    try:
        themes = service.themes_by_names(resource.community, names) if names is not None else None
        service.update(resource, values, themes, url=form.url.data if "url" in data else None)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return jsonify(resource_json(resource))


@bp.route("/resources/<int:resource_id>", methods=["DELETE"])
def delete_resource(resource_id):
    resource = _resource(resource_id, "resource.delete")
    hashes = service.delete(resource, current_user)
    db.session.commit()
    service.forget_files(hashes)
    return "", 204


@bp.route("/resources/<int:resource_id>/download")
@bp.route("/resources/<int:resource_id>/versions/<int:number>/download")
def resource_download(resource_id, number=None):
    resource = _resource(resource_id, "resource.read")
    if _hidden_from_caller(resource):
        raise ApiError(403, _("This content is hidden pending moderation."), code="hidden")
    version = resource.current_version if number is None else next((v for v in resource.versions if v.number == number), None)
    if version is None:
        raise ApiError(404, _("This resource has no file."))
    return send_version(version)


@bp.route("/resources/<int:resource_id>/versions", methods=["POST"])
def add_resource_version(resource_id):
    _refuse_oversized_body()
    resource = _resource(resource_id, "resource.edit")
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, _("Send the file as multipart/form-data."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(422, _("Some fields are not valid."), code="invalid", fields={"file": [_("Choose a file to upload.")]})
    try:
        version = service.add_version(resource, current_user, upload)
    except ServiceError as error:
        db.session.rollback()
        raise service_error(error)
    db.session.commit()
    return jsonify(version_json(version)), 201


# --- following themes ---------------------------------------------------------------------------


def _theme_json(theme, followed):
    return {"id": theme.id, "name": theme.name, "following": theme.id in followed}


@bp.route("/communities/<slug>/themes")
def list_themes(slug):
    """The community's themes, with whether the caller follows each."""
    community = _community(slug)
    user = _require("community.read", community)
    followed = service.followed_theme_ids(user, community)
    return jsonify({"themes": [_theme_json(t, followed) for t in service.themes_of(community)]})


@bp.route("/communities/<slug>/themes/<int:theme_id>/follow", methods=["PUT", "DELETE"])
def follow_theme(slug, theme_id):
    """PUT: follow the theme (be notified of its new resources); DELETE: stop. Both may be repeated."""
    community = _community(slug)
    _require("community.see", community)
    theme = service.theme_of(community, theme_id)
    if theme is None:
        raise ApiError(404)
    user = _require("theme.follow", theme)
    service.follow_theme(user, theme, request.method == "PUT")
    db.session.commit()
    return jsonify(_theme_json(theme, service.followed_theme_ids(user, community)))
