"""Resource actions shared by the HTML views and the API."""
import logging

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from .. import access, activity, audit, search
from ..exceptions import ServiceError
from ..extensions import db
from ..forms import single_line
from ..markup import plain, render
from ..search.base import SearchDocument
from ..timeutil import utcnow
from . import storage
from .extraction import extract_text, sniff_file
from .models import LANGUAGES, TYPES, Resource, ResourceVersion, Theme, ThemeFollow

log = logging.getLogger(__name__)

METADATA_FIELDS = (
    "title", "summary", "type", "tags", "municipality", "language", "year", "source_organization", "licence",
    *Resource.STORY_FIELDS,
)
PREVIEW_CHARS = 3000


# --- themes ---------------------------------------------------------------------------


def themes_of(community):
    return db.session.execute(sa.select(Theme).filter_by(community_id=community.id).order_by(Theme.name)).scalars().all()


def add_theme(community, name):
    if any(t.name.casefold() == name.casefold() for t in themes_of(community)):
        raise ServiceError(_l("This theme is already in the list."), field="name", status=409)
    theme = Theme(community_id=community.id, name=name)
    db.session.add(theme)
    return theme


def delete_theme(theme):
    ids = db.session.execute(
        sa.select(Resource.id).join(Resource.themes).where(Theme.id == theme.id)
    ).scalars().all()
    db.session.delete(theme)
    for resource_id in ids:
        search.enqueue("resource", resource_id)


def themes_by_ids(community, ids):
    wanted = set(ids or ())
    found = [t for t in themes_of(community) if t.id in wanted]
    if len(found) != len(wanted):
        raise ServiceError(_l("Choose themes from the community's list."), field="themes")
    return found


def themes_by_names(community, names):
    by_name = {t.name.casefold(): t for t in themes_of(community)}
    unknown = [n for n in names if n.casefold() not in by_name]
    if unknown:
        raise ServiceError(_l("Unknown theme: %(names)s. Use the community's list, or keywords.", names=", ".join(unknown)), field="themes")
    return [by_name[n.casefold()] for n in names]


# --- files ----------------------------------------------------------------------------


def _store_file(resource, file_storage, user):
    """Store an uploaded file as the resource's next version, extracting its text (bounded)."""
    folder = current_app.config["UPLOAD_FOLDER"]
    max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    try:
        sha, size, path = storage.save_stream(folder, file_storage.stream, max_bytes)
    except storage.TooLarge:
        raise ServiceError(_l("The file is larger than %(mb)s MB.", mb=current_app.config["MAX_UPLOAD_MB"]), field="file", status=413, code="too_large") from None
    except storage.Empty:
        raise ServiceError(_l("The file is empty."), field="file") from None
    filename = clean_filename(file_storage.filename)
    kind = sniff_file(path, filename)
    if kind is None:
        storage.remove_if_unused(folder, sha, _blob_in_use(sha))
        raise ServiceError(
            _l("This type of file is not accepted. Use PDF, Word, OpenDocument, PowerPoint, Excel, text, Markdown, HTML or an image."),
            field="file", status=415, code="unsupported_type",
        )
    result = extract_text(path, kind.mimetype, timeout=current_app.config.get("EXTRACTION_TIMEOUT", 20.0))
    number = max((v.number for v in resource.versions), default=0) + 1
    version = ResourceVersion(
        resource=resource, number=number, sha256=sha, filename=filename, mimetype=kind.mimetype, size=size,
        uploaded_by_id=user.id, extraction_status=result.status, extraction_reason=result.reason[:500],
        text=result.text, pages=result.pages,
    )
    db.session.add(version)
    if result.status == "failed":
        log.warning("Text extraction failed for %s (%s): %s", filename, kind.mimetype, result.reason)
    return version


def clean_filename(name):
    """A stored file's name: its last path component, on one line (a CR or LF, which RFC 2231's
    ``filename*`` lets through, would break the download's header), at most 255 characters."""
    name = single_line((name or "").replace("\\", "/").rsplit("/", 1)[-1])
    return (name or "document")[:255]


def _blob_in_use(sha):
    return db.session.execute(sa.select(ResourceVersion.id).filter_by(sha256=sha).limit(1)).first() is not None


def _blobs_in_use(hashes):
    found, hashes = set(), sorted(hashes)
    for start in range(0, len(hashes), 500):
        found.update(db.session.execute(
            sa.select(ResourceVersion.sha256).where(ResourceVersion.sha256.in_(hashes[start:start + 500])).distinct()
        ).scalars())
    return found


def sweep_uploads(_app=None):
    """Remove the files of the upload folder that no version refers to, an hour after they were last
    written (an upload interrupted by a crash, a transaction that rolled back). The email worker runs
    it every SWEEP_SECONDS; ``flask hub clean-uploads`` runs it once. Returns how many went."""
    removed = storage.sweep(current_app.config["UPLOAD_FOLDER"], _blobs_in_use)
    for path in removed:
        log.info("Removed the orphan upload %s", path.name)
    return len(removed)


SWEEP_SECONDS = 60 * 60


def blob_path(version):
    return storage.blob_path(current_app.config["UPLOAD_FOLDER"], version.sha256)


# --- resources ------------------------------------------------------------------------


def _apply_metadata(resource, data):
    """Set the fields named in ``data``; a field left out keeps its value, and None removes an optional
    field's value (no year, an empty municipality…). Title, type and language cannot be removed."""
    if "title" in data and not data["title"]:
        raise ServiceError(_l("Give the resource a title."), field="title")
    if "type" in data and data["type"] not in TYPES:
        raise ServiceError(_l("Choose a type from the list."), field="type")
    if "language" in data and data["language"] not in LANGUAGES:
        raise ServiceError(_l("Choose a language from the list."), field="language")
    for name in METADATA_FIELDS:
        if name in data:
            value = data[name]
            if value is None and name != "year":
                value = ""  # the text columns say "none" with an empty string
            setattr(resource, name, value)
    resource.summary_html = render(resource.summary)
    resource.updated_at = utcnow()


def create(community, author, data, themes=(), file=None, url=None):
    has_story = any(data.get(name) for name in Resource.STORY_FIELDS)
    if file is not None and url:
        raise ServiceError(_l("Give either a file or a link, not both."), field="url")
    if file is None and not url and not (data.get("type") == "case_study" and has_story):
        raise ServiceError(_l("Add a file or a link (or fill in the implementation story of a case study)."), field="file")
    resource = Resource(community=community, author=author, url=url or None)
    _apply_metadata(resource, data)
    resource.themes = list(themes)
    db.session.add(resource)
    if file is not None:
        _store_file(resource, file, author)
    db.session.flush()
    search.enqueue("resource", resource.id)
    _notify_followers(resource, author)
    activity.record("resource", resource, "created", author)
    return resource


# --- following themes -----------------------------------------------------------------------


def follow_theme(user, theme, follow=True):
    """Follow a theme (told of each new resource filed under it) or stop; doing it again changes nothing."""
    found = db.session.execute(sa.select(ThemeFollow).filter_by(theme_id=theme.id, user_id=user.id)).scalar_one_or_none()
    if follow and found is None:
        db.session.add(ThemeFollow(theme_id=theme.id, user_id=user.id))
    elif not follow and found is not None:
        db.session.delete(found)
    db.session.flush()
    return follow


def followed_theme_ids(user, community):
    return set(db.session.execute(
        sa.select(ThemeFollow.theme_id).join(Theme, Theme.id == ThemeFollow.theme_id)
        .where(ThemeFollow.user_id == user.id, Theme.community_id == community.id)
    ).scalars())


def theme_of(community, theme_id):
    theme = db.session.get(Theme, theme_id) if isinstance(theme_id, int) and 0 < theme_id < 2**31 else None
    return theme if theme is not None and theme.community_id == community.id else None


def _notify_followers(resource, author):
    """Tell the followers of the resource's themes who may read it."""
    from ..accounts.models import User
    from ..notifications import service as notifications

    theme_ids = [t.id for t in resource.themes]
    if not theme_ids:
        return
    people = db.session.execute(
        sa.select(User).join(ThemeFollow, ThemeFollow.user_id == User.id).where(ThemeFollow.theme_id.in_(theme_ids)).distinct()
    ).scalars().all()
    excerpt = plain(resource.summary, community_id=resource.community_id)
    notifications.notify(
        "new_resource", [u for u in people if access.can(u, "resource.read", resource)], community=resource.community, actor=author,
        object_kind="resource", object_id=resource.id, title=resource.title,
        excerpt=excerpt[:280] + ("…" if len(excerpt) > 280 else ""), url=url_for("resources.show", resource_id=resource.id),
    )


def create_from_files(community, author, files, data):
    """One resource per uploaded file, with ``data`` and the file's name as title. Every file is
    stored and its text extracted before any row is written: a writer holds SQLite's only write
    lock until it commits, and extraction may take seconds."""
    made = []
    with db.session.no_autoflush:
        for file in files:
            resource = Resource(community=community, author=author)
            _apply_metadata(resource, {**data, "title": clean_filename(file.filename)[:300]})
            db.session.add(resource)
            _store_file(resource, file, author)
            made.append(resource)
    db.session.flush()
    for resource in made:
        search.enqueue("resource", resource.id)
        activity.record("resource", resource, "created", author)
    return made


def update(resource, data, themes=None, url=None):
    if url is not None:
        if resource.versions and url:
            raise ServiceError(_l("This resource is a file; add a new version instead of a link."), field="url")
        resource.url = url or None
    _apply_metadata(resource, data)
    if themes is not None:
        resource.themes = list(themes)
    search.enqueue("resource", resource.id)


def add_version(resource, user, file):
    if resource.url:
        raise ServiceError(_l("This resource is a link; it has no file versions."), field="file", status=409)
    version = _store_file(resource, file, user)
    resource.updated_at = utcnow()
    db.session.flush()
    search.enqueue("resource", resource.id)
    activity.record("resource", resource, "version", user)
    return version


def delete(resource, actor=None):
    hashes = {v.sha256 for v in resource.versions}
    resource_id = resource.id
    audit.record("resource.delete", actor, resource, community=resource.community_id)
    db.session.delete(resource)
    db.session.flush()
    search.enqueue("resource", resource_id)
    return hashes


def forget_files(hashes):
    """After the deletion is committed, remove blobs no other version uses."""
    folder = current_app.config["UPLOAD_FOLDER"]
    for sha in hashes:
        storage.remove_if_unused(folder, sha, _blob_in_use(sha))


def get(resource_id):
    if not isinstance(resource_id, int) or not 0 < resource_id < 2**31:
        return None
    return db.session.get(Resource, resource_id)


# --- browsing -------------------------------------------------------------------------

BROWSE_FACETS = ("type", "theme", "municipality", "year", "language")


def browse(community, filters, page=1, per_page=20):
    """The community's resources filtered by facets, newest first, with counts for each facet."""
    base = sa.select(Resource).where(Resource.community_id == community.id)

    def filtered(query, skip=None):
        if filters.get("type") and skip != "type":
            query = query.where(Resource.type == filters["type"])
        if filters.get("municipality") and skip != "municipality":
            query = query.where(Resource.municipality == filters["municipality"])
        if filters.get("year") and skip != "year":
            query = query.where(Resource.year == filters["year"])
        if filters.get("language") and skip != "language":
            query = query.where(Resource.language == filters["language"])
        if filters.get("theme") and skip != "theme":
            query = query.where(Resource.themes.any(Theme.id == filters["theme"]))
        return query

    query = filtered(base)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(Resource.updated_at.desc(), Resource.id.desc()).offset((page - 1) * per_page).limit(per_page)
        .options(sa.orm.selectinload(Resource.themes), sa.orm.selectinload(Resource.versions))
    ).scalars().all()

    facets = {}
    for name, column in (("type", Resource.type), ("municipality", Resource.municipality), ("year", Resource.year), ("language", Resource.language)):
        sub = filtered(base, skip=name).subquery()
        counts = db.session.execute(
            sa.select(sub.c[column.key], sa.func.count()).group_by(sub.c[column.key]).order_by(sa.func.count().desc())
        ).all()
        facets[name] = [(value, count) for value, count in counts if value not in (None, "")]
    facets["theme"] = _theme_counts(filtered(base, skip="theme").subquery())
    return total, rows, facets


def _theme_counts(sub):
    from .models import resource_themes

    return [
        (theme_id, name, count)
        for theme_id, name, count in db.session.execute(
            sa.select(Theme.id, Theme.name, sa.func.count())
            .join(resource_themes, resource_themes.c.theme_id == Theme.id)
            .where(resource_themes.c.resource_id.in_(sa.select(sub.c.id)))
            .group_by(Theme.id, Theme.name)
            .order_by(sa.func.count().desc(), Theme.name)
        ).all()
    ]


# --- search ---------------------------------------------------------------------------


def to_document(resource):
    if resource.hidden_at is not None:  # hidden pending moderation: out of the index until restored
        return None
    version = resource.current_version
    parts = [plain(resource.summary, community_id=resource.community_id), resource.source_organization]
    parts += [getattr(resource, name) for name in Resource.STORY_FIELDS]
    parts += [resource.tags, " ".join(t.name for t in resource.themes)]
    if resource.url:
        parts.append(resource.url)
    if version is not None:
        parts += [version.filename, version.text]
    return SearchDocument(
        kind="resource",
        id=resource.id,
        community_id=resource.community_id,
        readers=[f"community:{resource.community_id}"],
        title=resource.title,
        body="\n\n".join(p for p in parts if p),
        url=url_for("resources.show", resource_id=resource.id),
        language=resource.language,
        updated_at=resource.updated_at,
        type=resource.type,
        themes=[t.name for t in resource.themes],
        tags=resource.tag_list,
        municipality=resource.municipality or None,
        year=resource.year,
    )


def load(ids):
    return db.session.execute(
        sa.select(Resource).where(Resource.id.in_(list(ids)))
        .options(sa.orm.selectinload(Resource.themes), sa.orm.selectinload(Resource.versions))
    ).scalars().all()


def all_ids():
    return db.session.execute(sa.select(Resource.id).order_by(Resource.id)).scalars().all()
