"""The embedded backend: a Whoosh index in the instance folder (SEARCH_INDEX_PATH).

One document per key. French documents fill ``title_fr``/``body_fr``, English ones
``title_en``/``body_en``; a query is compiled once per language and each branch only matches
documents of its language, so stop words and stems follow the document's language.

Access is part of the query itself (ANDed, never a post-filter): totals, facets, snippets and
suggestions are all computed over documents whose ``readers`` meet the searcher's principals.

Writes: Whoosh allows one writer per index. A lock per index path serializes writers within the
process; across processes Whoosh's own lock file is taken with a timeout and retried. A crash
leaves at worst unreferenced segment files: the index stays openable at its last commit.
"""
import html
import logging
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

from whoosh import fields as wf
from whoosh import index as windex
from whoosh import highlight as whl
from whoosh import query as wq
from whoosh import sorting
from whoosh.index import LockError
from whoosh.writing import CLEAR

from .analysis import analyze, english_analyzer, fold, french_analyzer, normalize_language, spelling_analyzer
from .base import SearchBackend, SearchHit, SearchResults
from .query import And, Field, Not, Or, Phrase, Prefix, Word, has_text, parse, simplify
from .suggest import build_suggestion

log = logging.getLogger(__name__)

MAX_INDEXED_CHARS = 300_000  # of a body, for matching
SNIPPET_SOURCE_CHARS = 30_000  # of a body, kept (compressed) to cut snippets from
SNIPPET_CHARS = 240
SUGGEST_BELOW = 5  # "did you mean" is looked for when fewer results than this were found
SCHEMA_VERSION = 1

# Facet name (as in base.FACETS) -> index field.
FACET_FIELDS = {
    "kind": "kind",
    "type": "type",
    "theme": "theme_facet",
    "municipality": "municipality_facet",
    "year": "year",
    "language": "language",
    "community": "community",
}

_locks = {}
_locks_guard = threading.Lock()


def _lock_for(path):
    with _locks_guard:
        return _locks.setdefault(str(Path(path).resolve()), threading.RLock())


class _VectorCategorizer(sorting.OverlappingCategorizer):
    """Multi-valued facet keys read from term vectors; a document without values has none."""

    def keys_for(self, matcher, docid):
        try:
            return [k.decode("utf-8") if isinstance(k, bytes) else k for k in super().keys_for(matcher, docid)]
        except Exception:  # Whoosh raises a bare Exception for a document without a vector
            return []


class MultiValueFacet(sorting.FieldFacet):
    def __init__(self, fieldname):
        super().__init__(fieldname, allow_overlap=True)

    def categorizer(self, global_searcher):
        return _VectorCategorizer(global_searcher, self.fieldname)


def build_schema():
    fr, en = french_analyzer(), english_analyzer()
    return wf.Schema(
        key=wf.ID(unique=True, stored=True, sortable=True),
        kind=wf.ID(stored=True, sortable=True),
        object_id=wf.STORED(),
        community=wf.ID(stored=True, sortable=True),
        readers=wf.KEYWORD(commas=True, scorable=False),
        title=wf.STORED(),
        url=wf.STORED(),
        text=wf.STORED(),  # the start of the body, zlib-compressed, for snippets
        title_fr=wf.TEXT(analyzer=fr, field_boost=3.0),
        body_fr=wf.TEXT(analyzer=fr),
        title_en=wf.TEXT(analyzer=en, field_boost=3.0),
        body_en=wf.TEXT(analyzer=en),
        spell=wf.TEXT(analyzer=spelling_analyzer(), phrase=False),
        type=wf.ID(sortable=True),
        theme=wf.KEYWORD(commas=True),  # folded, for filters
        theme_facet=wf.KEYWORD(commas=True, vector=True),  # as written, for facets
        municipality=wf.ID(),  # folded, for filters
        municipality_facet=wf.ID(sortable=True),
        year=wf.NUMERIC(int, bits=32, stored=True, sortable=True),
        language=wf.ID(stored=True, sortable=True),
        updated_at=wf.DATETIME(stored=True, sortable=True),
    )


def _naive_utc(moment):
    if moment.tzinfo is None:
        raise ValueError("updated_at must be timezone-aware")
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _aware(moment):
    return moment.replace(tzinfo=timezone.utc) if isinstance(moment, datetime) and moment.tzinfo is None else moment


def _clean(text):
    """Text any storage accepts: no NUL character, no lone surrogate."""
    return (text or "").encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")


class MarkFormatter(whl.Formatter):
    """Escaped text with matches wrapped in <mark>."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=False)

    def format_token(self, text, token, replace=False):
        return "<mark>" + html.escape(whl.get_text(text, token, replace), quote=False) + "</mark>"


def plain_snippet(text, length=SNIPPET_CHARS):
    text = " ".join((text or "").split())
    if len(text) > length:
        text = text[:length].rsplit(" ", 1)[0] + " …"
    return html.escape(text, quote=False)


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, path, lock_timeout=5.0, retries=6):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.retries = retries
        self._lock = _lock_for(self.path)
        self._ix = None
        self.schema = build_schema()

    # --- the index ----------------------------------------------------------------------

    def _index(self):
        if self._ix is not None:
            return self._ix
        with self._lock:
            if self._ix is None:
                self.path.mkdir(parents=True, exist_ok=True)
                version_file = self.path / "hub-schema-version"
                current = version_file.read_text().strip() if version_file.exists() else None
                if windex.exists_in(str(self.path)) and current == str(SCHEMA_VERSION):
                    self._ix = windex.open_dir(str(self.path), schema=self.schema)
                else:
                    if windex.exists_in(str(self.path)):
                        log.warning("The search index at %s has an older layout: recreated empty; run `flask hub search reindex`.", self.path)
                    self._ix = windex.create_in(str(self.path), self.schema)
                    version_file.write_text(str(SCHEMA_VERSION))
        return self._ix

    def _write(self, work):
        """Run ``work(writer)`` and commit, one writer at a time (thread lock + Whoosh's file lock)."""
        with self._lock:
            ix = self._index()
            delay = 0.05
            for attempt in range(self.retries):
                try:
                    writer = ix.writer(timeout=self.lock_timeout)
                    break
                except LockError:
                    if attempt == self.retries - 1:
                        raise
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
            try:
                commit_args = work(writer) or {}
                writer.commit(**commit_args)
            except BaseException:
                writer.cancel()
                raise

    # --- writes -------------------------------------------------------------------------

    def _fields(self, doc):
        language = normalize_language(doc.language)
        title = _clean(doc.title)
        body = _clean(doc.body)[:MAX_INDEXED_CHARS]
        fields = {
            "key": doc.key,
            "kind": doc.kind,
            "object_id": doc.id,
            "readers": ",".join(sorted({r for r in doc.readers if r and "," not in r})),
            "title": title,
            "url": doc.url,
            "text": zlib.compress(body[:SNIPPET_SOURCE_CHARS].encode("utf-8")),
            f"title_{language}": title,
            f"body_{language}": body,
            "spell": title + "\n" + body,
            "language": language,
            "updated_at": _naive_utc(doc.updated_at),
        }
        if doc.community_id is not None:
            fields["community"] = str(doc.community_id)
        if doc.type:
            fields["type"] = doc.type.strip().lower()
        themes = [" ".join(t.replace(",", " ").split()) for t in doc.themes or () if t and t.strip()]
        if themes:
            fields["theme"] = ",".join(fold(t) for t in themes)
            fields["theme_facet"] = ",".join(themes)
        if doc.municipality and doc.municipality.strip():
            fields["municipality"] = fold(" ".join(doc.municipality.split()))
            fields["municipality_facet"] = " ".join(doc.municipality.split())
        if doc.year is not None:
            fields["year"] = int(doc.year)
        return fields

    def upsert(self, documents):
        documents = list(documents)
        if not documents:
            return
        prepared = [self._fields(d) for d in documents]

        def work(writer):
            for fields in prepared:
                writer.update_document(**fields)

        self._write(work)

    def delete(self, keys):
        keys = [k for k in keys if k]
        if not keys:
            return

        def work(writer):
            for key in keys:
                writer.delete_by_term("key", key)

        self._write(work)

    def clear(self):
        self._write(lambda writer: {"mergetype": CLEAR})

    # --- reads --------------------------------------------------------------------------

    def keys(self):
        found = {}
        with self._index().searcher() as searcher:
            reader = searcher.reader()
            if not reader.doc_count():
                return found
            keys, times = reader.column_reader("key"), reader.column_reader("updated_at")
            for docnum in reader.all_doc_ids():  # columns: no need to read the stored text
                found[keys[docnum]] = _aware(times[docnum])
        return found

    def status(self):
        try:
            ix = self._index()
            return {"status": "ok", "backend": self.name, "documents": ix.doc_count(), "path": str(self.path)}
        except Exception as error:  # reported, never raised: /healthz reads this
            return {"status": "error", "backend": self.name, "error": type(error).__name__}

    @staticmethod
    def _access(principals):
        """None when the searcher reads everything (admin), else the query of readable documents."""
        if "admin" in principals:
            return None
        terms = [wq.Term("readers", p) for p in sorted(principals) if p]
        return wq.Or(terms) if terms else wq.NullQuery

    def _compile(self, node, language):
        title, body = f"title_{language}", f"body_{language}"
        if isinstance(node, (Word, Prefix, Phrase)):
            tokens = analyze(node.text, language)
            if isinstance(node, Prefix):
                return wq.Or([wq.Prefix(title, tokens[-1]), wq.Prefix(body, tokens[-1])])
            if len(tokens) == 1:
                return wq.Or([wq.Term(title, tokens[0]), wq.Term(body, tokens[0])])
            if isinstance(node, Phrase):
                return wq.Or([wq.Phrase(title, tokens), wq.Phrase(body, tokens)])
            return wq.And([wq.Or([wq.Term(title, t), wq.Term(body, t)]) for t in tokens])
        if isinstance(node, Field):
            return self._field(node.name, node.value)
        if isinstance(node, And):
            return wq.And([self._compile(c, language) for c in node.children])
        if isinstance(node, Or):
            return wq.Or([self._compile(c, language) for c in node.children])
        if isinstance(node, Not):
            return wq.Not(self._compile(node.child, language))
        raise TypeError(node)

    @staticmethod
    def _field(name, value):
        if name == "type":
            return wq.Term("type", value.strip().lower())
        if name == "theme":
            return wq.Term("theme", fold(" ".join(value.split())))
        if name == "municipality":
            return wq.Term("municipality", fold(" ".join(value.split())))
        if name == "year":
            low, high = value
            return wq.NumericRange("year", low, high)
        raise ValueError(name)

    def _text_query(self, parsed):
        if parsed.is_empty:
            return wq.Every()
        branches = []
        for language in ("fr", "en"):
            node = simplify(parsed.root, language)
            if node is not None:
                branches.append(wq.And([wq.Term("language", language), self._compile(node, language)]))
        return wq.Or(branches) if branches else wq.NullQuery

    def _filters(self, query):
        filters = []
        if query.kinds:
            filters.append(wq.Or([wq.Term("kind", k) for k in query.kinds]))
        if query.community_ids:
            filters.append(wq.Or([wq.Term("community", str(c)) for c in query.community_ids]))
        if query.type:
            filters.append(self._field("type", query.type))
        if query.theme:
            filters.append(self._field("theme", query.theme))
        if query.municipality:
            filters.append(self._field("municipality", query.municipality))
        if query.year is not None:
            filters.append(self._field("year", (int(query.year), int(query.year))))
        if query.language:
            filters.append(wq.Term("language", normalize_language(query.language)))
        return filters

    def search(self, query):
        parsed = parse(query.text)
        page, per_page = max(1, int(query.page)), max(1, int(query.per_page))
        access = self._access(query.principals)
        if access is wq.NullQuery:
            return SearchResults(total=0, hits=[], facets={name: {} for name in FACET_FIELDS})
        parts = [self._text_query(parsed), *self._filters(query)]
        if access is not None:
            parts.append(wq.ConstantScoreQuery(access, 0.0))
        full = wq.And(parts)
        by_date = query.sort == "date" or not has_text(parsed.root)
        groupedby = {name: MultiValueFacet(field) if name == "theme" else sorting.FieldFacet(field) for name, field in FACET_FIELDS.items()}
        limit = page * per_page
        with self._index().searcher() as searcher:
            results = searcher.search(
                full, limit=limit, groupedby=groupedby, maptype=sorting.Count, terms=True, optimize=False,
                **({"sortedby": "updated_at", "reverse": True} if by_date else {}),
            )
            total = len(results)
            hits = [self._hit(hit) for hit in results[(page - 1) * per_page:limit]]
            facets = {name: self._facet(name, results.groups(name)) for name in FACET_FIELDS}
            suggestion = None
            if total < SUGGEST_BELOW and not parsed.is_empty:
                suggestion = self._suggest(searcher, parsed, access)
        return SearchResults(total=total, hits=hits, facets=facets, suggestion=suggestion)

    @staticmethod
    def _facet(name, groups):
        counts = {}
        for value, count in groups.items():
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            if value is None or value == "":
                continue
            if name == "year" and not 0 < int(value) < 10000:  # the column's stand-in for "no year"
                continue
            if name == "community":
                value = int(value)
            counts[value] = counts.get(value, 0) + count
        return dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))

    def _hit(self, hit):
        fields = hit.fields()
        language = fields.get("language", "fr")
        text = zlib.decompress(fields["text"]).decode("utf-8") if fields.get("text") else ""
        snippet = None
        if hit.results.has_matched_terms():
            terms = set()
            for fieldname, term in hit.matched_terms():
                if fieldname in (f"title_{language}", f"body_{language}"):
                    terms.add(term.decode("utf-8") if isinstance(term, bytes) else term)
            if terms and text:
                snippet = whl.highlight(
                    text, frozenset(terms), self.schema[f"body_{language}"].analyzer,
                    whl.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60), MarkFormatter(), top=2, order=whl.FIRST,
                )
        community = fields.get("community")
        return SearchHit(
            kind=fields["kind"],
            id=fields["object_id"],
            title=fields.get("title", ""),
            url=fields.get("url", ""),
            snippet=snippet or plain_snippet(text),
            community_id=int(community) if community else None,
            updated_at=_aware(fields["updated_at"]),
            score=float(hit.score or 0.0),
        )

    def _suggest(self, searcher, parsed, access):
        reader = searcher.reader()

        def candidates(word):
            found = set()
            for variant in {word, fold(word)}:
                found.update(reader.terms_within("spell", variant, 2))
            return found

        def readable_count(word):
            q = wq.Term("spell", word)
            if access is not None:
                q = wq.And([q, access])
            return len(searcher.search(q, limit=1, optimize=False))

        return build_suggestion(parsed, candidates, readable_count)
