"""Markdown to sanitized HTML, rendered once when a text is saved."""
import html

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text):
    """Markdown (tables, fenced code) → HTML with no script, handler, style or javascript: URL."""
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def plain(text, community_id=None):
    """The text of some Markdown, for search, previews and notifications. With ``community_id``,
    ``#resource-7`` and ``@julie-roy`` read as the title and the name they point to in that community
    (what the rendered page shows), not as their source."""
    if community_id is not None:
        text = readable(text, community_id)
    return html.unescape(nh3.clean(markdown.markdown(text or ""), tags=set())).strip()


def readable(text, community_id):
    """Markdown source with references and mentions of this community replaced by their titles and
    names, outside code; what is not found stays as written."""
    from .extensions import db

    def reference(name, object_id):
        kind = kinds.get(name)
        obj = kinds.find(name, object_id)
        if obj is None or kind.community_of(obj) != community_id or getattr(obj, "hidden_at", None) is not None:
            return None
        target = kind.target(obj)
        if getattr(target, "hidden_at", None) is not None or (name == "note" and getattr(obj, "visibility", "") == "private"):
            return None
        return (kind.label(obj) or f"#{name}-{object_id}", "#")

    people = {}

    def mention(handle):
        if not people:
            from .accounts.models import User
            from .communities.models import Membership
            from .communities.service import slugify

            rows = db.session.execute(
                db.select(User).join(Membership, Membership.user_id == User.id).where(Membership.community_id == community_id)
                .order_by(Membership.id)
            ).scalars().all()
            people.update({"": None})
            for user in rows:
                people.setdefault(slugify(user.display_name), user)
        user = people.get(handle.lower())
        return (user.display_name, "#") if user is not None else None

    rewritten, _found = expand(text or "", mention=mention, reference=reference)
    # The links expand() writes ([label](#)) become their label alone.
    return re.sub(r"\[((?:\\.|[^\]\\])*)\]\(#\)", lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), rewritten)


# --- mentions, #references and #hashtags ------------------------------------------------------

import re  # noqa: E402
import unicodedata  # noqa: E402

from . import kinds  # noqa: E402

_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
MENTION_RE = re.compile(r"(?<![\w@/.\[])@([\w][\w.\-]{0,59}[\w]|[\w])", re.U)
TAG_PATTERN = r"[^\W\d_][\w\-]{0,49}"  # a letter, then up to 49 letters, digits, hyphens or underscores
HASHTAG_RE = re.compile(r"(?<![\w&#/\[])#(" + TAG_PATTERN + ")", re.U)
_TAG_RE = re.compile(TAG_PATTERN, re.U)
URL_RE = re.compile(r"(?<![\w(\[<\"'=])https?://[^\s<>()\[\]\"']{3,2000}")


def _md_text(text):
    """Text made safe inside the label of a Markdown link."""
    return re.sub(r"([\\\[\]*_`<>])", r"\\\1", text)


def expand(text, mention=None, reference=None, hashtag=None, autolink=False):
    """Rewrite @mentions, #kind-id references and #hashtags of Markdown source as Markdown links,
    outside code. Each callback gets the match's key and returns (label, url) or None to leave it.
    Returns the new source and the keys that were turned into links, by kind."""
    found = {"mentions": [], "references": [], "hashtags": []}

    def outside_code(segment):
        if autolink:
            segment = URL_RE.sub(lambda m: f"<{m.group(0).rstrip('.,;:!?')}>{m.group(0)[len(m.group(0).rstrip('.,;:!?')):]}", segment)
        if mention is not None:
            def _mention(match):
                hit = mention(match.group(1))
                if hit is None:
                    return match.group(0)
                found["mentions"].append(match.group(1).lower())
                return f"[@{_md_text(hit[0])}]({hit[1]})"

            segment = MENTION_RE.sub(_mention, segment)
        if reference is not None:
            def _reference(match):
                kind = kinds.by_prefix(match.group(1))
                hit = reference(kind.name, int(match.group(2))) if kind is not None else None
                if hit is None:
                    return match.group(0)
                found["references"].append((kind.name, int(match.group(2))))
                return f"[{_md_text(hit[0])}]({hit[1]})"

            segment = kinds.reference_pattern().sub(_reference, segment)
        if hashtag is not None:
            def _hashtag(match):
                if kinds.reference_pattern().fullmatch(match.group(0)):  # an unresolved #kind-id stays as it is
                    return match.group(0)
                hit = hashtag(match.group(1))
                if hit is None:
                    return match.group(0)
                found["hashtags"].append(match.group(1))
                return f"[#{_md_text(match.group(1))}]({hit[1]})"

            segment = HASHTAG_RE.sub(_hashtag, segment)
        return segment

    parts = _CODE.split(text or "")
    rewritten = "".join(part if i % 2 else outside_code(part) for i, part in enumerate(parts))
    return rewritten, found


def tag_name(text):
    """The stored form of a tag, as a #hashtag of a message gives it: "#Habitation" or "Habitation"
    -> "habitation"; None when the text is not one tag."""
    text = unicodedata.normalize("NFC", (text or "").strip())
    if text.startswith("#"):
        text = text[1:]
    return text.lower()[:60] if _TAG_RE.fullmatch(text) else None


def urls_in(text):
    """Bare web addresses of some Markdown, outside code, in order, without duplicates."""
    seen = []
    for i, part in enumerate(_CODE.split(text or "")):
        if i % 2:
            continue
        for match in URL_RE.finditer(part):
            url = match.group(0).rstrip(".,;:!?")
            if url not in seen:
                seen.append(url)
    return seen


def _resolved_references(text, user, community_id):
    """[(match, (label, url) or None)] for every ``#kind-12`` of a plain text, outside code."""
    if user is None or not getattr(user, "is_authenticated", False):
        return [(match, None) for match in kinds.reference_pattern().finditer(text or "")]
    return [
        (match, kinds.reference(user, match.group(1), int(match.group(2)), community_id))
        for match in kinds.reference_pattern().finditer(text or "")
    ]


def references_html(text, user, community_id):
    """A plain text (a poll's or a meeting's description) as safe HTML, its ``#resource-12``
    references (any registered prefix, French too) linked by their title for ``user``; the rest
    escaped, as written."""
    from markupsafe import Markup, escape

    out, at = [], 0
    for match, hit in _resolved_references(text, user, community_id):
        out.append(escape(text[at:match.start()]))
        out.append(Markup('<a href="{}">{}</a>').format(hit[1], hit[0]) if hit else escape(match.group(0)))
        at = match.end()
    out.append(escape((text or "")[at:]))
    return Markup("").join(out)


def references_text(text, user, community_id, links=True):
    """A plain text with its references written as "title (address)" (emails), or as the title
    alone (``links=False``, calendar files); unresolved references stay as written."""
    from flask import current_app, has_request_context, request

    base = current_app.config.get("BASE_URL") or (request.url_root if has_request_context() else "")
    out, at = [], 0
    for match, hit in _resolved_references(text, user, community_id):
        out.append(text[at:match.start()])
        if hit is None:
            out.append(match.group(0))
        else:
            url = hit[1] if "://" in hit[1] else base.rstrip("/") + hit[1]
            out.append(f"{hit[0]} ({url})" if links else hit[0])
        at = match.end()
    out.append((text or "")[at:])
    return "".join(out)
