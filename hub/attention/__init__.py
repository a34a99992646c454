"""What needs me: the things waiting for a person's answer or action, across their communities."""
from flask_babel import lazy_gettext as _l


def labels():
    return {
        "poll": _l("Poll to answer"),
        "mention": _l("Mention"),
        "follow_up": _l("Follow-up"),
        "invitation": _l("Invitation"),
        "join_request": _l("Request to join"),
        "note": _l("Shared note"),
    }


def init_app(app):
    """The list and count for templates: the header's count, the "To do" section of the personal
    home and of a community's overview (templates/attention/_list.html)."""
    from flask import g
    from flask_login import current_user

    from .service import items_for

    def _items(community=None):
        if not getattr(current_user, "is_authenticated", False):
            return []
        cache = g.setdefault("_hub_attention", {})
        key = community.id if community is not None else None
        if key not in cache:
            cache[key] = items_for(current_user, community)
        return cache[key]

    @app.context_processor
    def _attention():
        return {
            "attention_items": _items,
            "attention_count": lambda: len(_items()),
            "attention_label": lambda kind: labels().get(kind, kind),
        }
