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

FACETS = ("kind", "type", "theme", "municipality", "year", "language", "community")


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
    themes: list[str] = field(default_factory=list)  # theme labels and free tags
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
