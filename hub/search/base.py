"""The search seam: what every backend takes and returns.

Features turn their objects into ``SearchDocument``s (see ``hub.search.register``); a backend
indexes them and answers ``SearchQuery``s. Access is part of the query: each document lists the
principals that may read it (``readers``), each query carries the searcher's principals, and a
backend only ever counts, ranks, facets or suggests from documents whose readers intersect them.

Principals are strings: ``community:<id>`` (every reader of that community), ``user:<id>``
(one person, e.g. a private note), ``admin`` (given to instance admins only).
"""
from dataclasses import dataclass, field
from datetime import datetime

FACETS = ("kind", "type", "theme", "category", "tag", "municipality", "year", "language", "community")
TAG_MARK, CATEGORY_MARK = "#", "\u00a7"  # how a hashtag and a category are told from a theme in the index


def theme_values(doc):
    """What a backend stores in its theme field: the themes as written, then "#tag" and "§category"
    (a ``theme`` filter matches all three; facets show them apart, see ``split_themes``)."""
    values = list(doc.themes or ())
    values += [TAG_MARK + t.lstrip(TAG_MARK) for t in doc.tags or () if t and t.strip()]
    values += [CATEGORY_MARK + c for c in doc.categories or () if c and c.strip()]
    return values


def split_themes(counts):
    """{stored theme value: count} → {"theme": …, "category": …, "tag": …}, each value once whatever
    its case or accents ("habitation" and "Habitation" count together, under the most used spelling)."""
    from .analysis import fold

    groups = {"theme": {}, "category": {}, "tag": {}}
    for value, count in counts.items():
        name, label = "theme", value
        if value.startswith(TAG_MARK):
            name, label = "tag", value[len(TAG_MARK):]
        elif value.startswith(CATEGORY_MARK):
            name, label = "category", value[len(CATEGORY_MARK):]
        groups[name].setdefault(fold(label), []).append((count, label))
    result = {}
    for name, merged in groups.items():
        values = {}
        for spellings in merged.values():
            spellings.sort(key=lambda item: (-item[0], item[1]))
            values[spellings[0][1]] = sum(count for count, _label in spellings)
        result[name] = dict(sorted(values.items(), key=lambda item: (-item[1], item[0])))
    return result


@dataclass
class SearchDocument:
    kind: str  # "resource", later "thread", "post", "note", "meeting"
    id: int
    community_id: int | None
    readers: list[str]
    title: str
    body: str  # the full text: summary, structured fields, extracted file text
    url: str
    language: str  # "fr" or "en": chooses the analyzer
    updated_at: datetime  # timezone-aware UTC
    type: str | None = None  # resource type code, e.g. "case_study"
    themes: list[str] = field(default_factory=list)  # the community's themes
    tags: list[str] = field(default_factory=list)  # free keywords and #hashtags
    categories: list[str] = field(default_factory=list)  # discussion categories
    municipality: str | None = None
    year: int | None = None

    @property
    def key(self):
        return f"{self.kind}:{self.id}"


@dataclass
class SearchQuery:
    text: str = ""  # the user's query: words, "phrases", AND/OR/NOT (ET/OU/SAUF), prefix*, type:, theme:, municipality:, year:
    principals: frozenset = frozenset()
    kinds: tuple = ()  # empty: every kind
    community_ids: tuple = ()  # empty: every community the searcher may read
    type: str | None = None
    theme: str | None = None
    municipality: str | None = None
    year: int | None = None
    language: str | None = None
    sort: str = "relevance"  # or "date" (newest first)
    page: int = 1
    per_page: int = 20


@dataclass
class SearchHit:
    kind: str
    id: int
    title: str
    url: str
    snippet: str  # safe HTML: text escaped, matches wrapped in <mark>
    community_id: int | None
    updated_at: datetime
    score: float = 0.0


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    facets: dict  # facet name -> {value: count}, over every match the searcher may read
    suggestion: str | None = None  # "did you mean", built only from readable documents


class QuerySyntaxError(ValueError):
    """The query cannot be understood; the message says why (shown to the user)."""


class SearchBackend:
    name = "base"

    def upsert(self, documents: list[SearchDocument]) -> None:
        raise NotImplementedError

    def delete(self, keys: list[str]) -> None:
        """Remove documents by key ("resource:42"); unknown keys are ignored."""
        raise NotImplementedError

    def search(self, query: SearchQuery) -> SearchResults:
        raise NotImplementedError

    def keys(self) -> dict[str, datetime]:
        """Every indexed key with its updated_at, for drift checks."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def rebuild_needed(self) -> bool:
        """True when what is stored is of an older layout and must be rebuilt from the database."""
        return False

    def status(self) -> dict:
        raise NotImplementedError
