"""The registry of content kinds: what the hub holds (resources, meetings, threads, posts, notes…).

Each feature registers its kinds once (``kinds.register(...)``, in its package's ``init_app``): the
model, the access rule that reads an object, its page, its label, an icon name, the prefixes of its
``#kind-12`` references in French and English, and its search kind. References in Markdown, note
attachments, meeting mentions, the activity feed and search read this registry instead of importing
another feature's models.
"""
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from flask import url_for

_KINDS = {}
_PREFIXES = {}  # prefix ("ressource") → kind name ("resource")
_COMPILED = {}  # "references" → the compiled pattern of every registered prefix


@dataclass
class Kind:
    name: str  # the canonical name: "resource", "meeting", "thread", "post", "note"
    model: type
    read: str  # the access action that reads an object of this kind
    endpoint: str  # its page: url_for(endpoint, **{key: id})
    key: str
    label: Callable  # object → its title as shown in links
    noun: object = ""  # lazy string: "Ressource" / "Resource"
    attach_label: object = None  # lazy "%(title)s" format for note attachments ("Resource: %(title)s")
    icon: str = "file"
    prefixes: tuple = ()  # reference prefixes besides the name, e.g. ("ressource",)
    search_kind: Optional[str] = None
    attachable: bool = False  # a note may be attached to it
    read_target: Callable = None  # object → what the access rule is asked about (a post → its thread)
    community_id: Callable = None  # object → its community's id
    recent: Callable = None  # community → recent objects, for choices (attachable kinds)
    referable: bool = True  # ``#name-12`` references it (False for kinds only the activity feed shows)
    # The activity feed (hub/activity): ``visible(viewer, item)`` is the SQL condition "the item's object
    # still exists and the viewer may read it", over the columns of ``item`` (object_id, community_id);
    # a kind without one never appears in the feed. ``actions`` maps an action ("created") to its lazy
    # sentence with %(actor)s and %(title)s, or to a function of the count for grouped items.
    visible: Callable = None
    actions: dict = field(default_factory=dict)
    page_of: Callable = None  # object → the id of the page showing it (an agenda topic → its meeting)
    anchor: str = ""  # where on that page the object is ("agenda" → "/meetings/3#agenda")
    extra: dict = field(default_factory=dict)

    def target(self, obj):
        return self.read_target(obj) if self.read_target else obj

    def community_of(self, obj):
        return self.community_id(obj) if self.community_id else getattr(obj, "community_id", None)

    def url(self, obj_or_id):
        object_id = obj_or_id if isinstance(obj_or_id, int) else obj_or_id.id
        return url_for(self.endpoint, **{self.key: object_id})

    def page_id(self, obj):
        return self.page_of(obj) if self.page_of else obj.id

    def object_url(self, page_id):
        """The address showing an object, from the ids kept with an activity item."""
        url = self.url(page_id)
        return f"{url}#{self.anchor}" if self.anchor else url

    def sentence(self, action, count=1):
        """The lazy sentence telling ``action`` on an object of this kind (None when unknown)."""
        text = self.actions.get(action)
        return text(count) if callable(text) else text


def register(name, model, read, endpoint, key, label, **options):
    """Declare a kind of content (idempotent: a feature's init_app may run for several apps)."""
    kind = Kind(name=name, model=model, read=read, endpoint=endpoint, key=key, label=label, **options)
    _KINDS[name] = kind
    for prefix in (name, *kind.prefixes) if kind.referable else ():
        _PREFIXES[prefix] = name
    _COMPILED.clear()
    return kind


def get(name):
    return _KINDS.get(name)


def by_prefix(prefix):
    """The kind a reference prefix names ("ressource" → the resource kind), or None."""
    name = _PREFIXES.get((prefix or "").lower())
    return _KINDS.get(name) if name else None


def all_kinds():
    return list(_KINDS.values())


def in_feed():
    """The kinds the activity feed shows, by name."""
    return {kind.name: kind for kind in _KINDS.values() if kind.visible is not None}


def attachable():
    return [kind for kind in _KINDS.values() if kind.attachable]


def find(name, object_id):
    """The object of this kind and id, or None."""
    from .extensions import db

    kind = get(name)
    if kind is None or not isinstance(object_id, int) or not 0 < object_id < 2**31:
        return None
    return db.session.get(kind.model, object_id)


def readable(user, name, object_id, community_id=None):
    """The object if it exists, belongs to ``community_id`` (when given) and ``user`` may read it."""
    from . import access

    kind = get(name)
    obj = find(name, object_id)
    if obj is None:
        return None
    if community_id is not None and kind.community_of(obj) != community_id:
        return None
    return obj if access.can(user, kind.read, kind.target(obj)) else None


def reference(user, prefix, object_id, community_id=None):
    """(label, url) of a ``#prefix-id`` reference the user may read, or None."""
    kind = by_prefix(prefix)
    if kind is None:
        return None
    obj = readable(user, kind.name, object_id, community_id)
    if obj is None:
        return None
    try:
        return (kind.label(obj) or f"#{kind.name}-{object_id}", kind.url(obj))
    except Exception:  # an endpoint that is not served: the text stays as it is
        return None


def reference_pattern():
    """``#prefix-123`` for every registered prefix (longest first, so "ressource" is not read as a shorter one)."""
    pattern = _COMPILED.get("references")
    if pattern is None:
        prefixes = sorted(_PREFIXES, key=len, reverse=True) or ["resource"]
        pattern = _COMPILED["references"] = re.compile(r"(?<![\w&#/\[])#(" + "|".join(map(re.escape, prefixes)) + r")-(\d{1,9})\b", re.I)
    return pattern


def references_in(text, name, url_path=None):
    """The ids, in order and once each, that ``text`` references as this kind: ``#prefix-12`` with any
    of its prefixes, and links to its pages when ``url_path`` ("/resources/") is given."""
    kind = get(name)
    if kind is None:
        return []
    found = [
        (match.start(), int(match.group(2))) for match in reference_pattern().finditer(text or "")
        if _PREFIXES.get(match.group(1).lower()) == name
    ]
    if url_path:
        found += [(match.start(), int(match.group(1))) for match in re.finditer(re.escape(url_path) + r"(\d{1,9})\b", text or "")]
    seen = set()
    return [i for _at, i in sorted(found) if not (i in seen or seen.add(i))]
