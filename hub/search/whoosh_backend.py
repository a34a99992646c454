"""The embedded backend: a Whoosh index in the instance folder (SEARCH_INDEX_PATH).

One document per key. French documents fill ``title_fr``/``body_fr``, English ones
``title_en``/``body_en``; a query is compiled once per language and each branch only matches
documents of its language, so stop words and stems follow the document's language.

Access is part of the query: the documents a searcher may read (those whose ``readers`` meet the
searcher's principals, read from the ``readers`` postings and kept per principal for the current
segments) are checked for every match before it is scored, counted or faceted, and phrases only
compare word positions in readable documents; totals, facets, pages and suggestions never see
anything else (nothing is filtered after pagination).

Speed (see BENCHMARKS.md): one searcher is kept per thread and refreshed when the index changes;
facet and date columns are read once per segment into lists; snippets come from a scan for the
query's stems (``snippets``) instead of analysing whole texts; indexing analyses each text once
(cached word -> term) and merges segments by tiers (``merge_tiers``).

Writes: Whoosh allows one writer per index. A lock per index path serializes writers within the
process; across processes Whoosh's own lock file is taken with a timeout and retried. A crash
leaves at worst unreferenced segment files: the index stays openable at its last commit.
"""
import heapq
from bisect import bisect_left
import html
import logging
import threading
import time
import zlib
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from whoosh import collectors, columns
from whoosh import fields as wf
from whoosh import formats
from whoosh import index as windex
from whoosh import query as wq
from whoosh.index import LockError
from whoosh.matching import IntersectionMatcher, ListMatcher, NullMatcher, ReadTooFar
from whoosh.util import make_binary_tree
from whoosh.system import pack_uint
from whoosh.writing import CLEAR

from .analysis import analyze, english_analyzer, fold, french_analyzer, normalize_language, spelling_analyzer
from .base import CATEGORY_MARK, TAG_MARK, SearchBackend, SearchHit, SearchResults, theme_values
from .query import And, Field, Not, Or, Phrase, Prefix, Word, has_text, parse, simplify
from .snippets import SNIPPET_CHARS, highlight, highlight_terms
from .suggest import build_suggestion

log = logging.getLogger(__name__)

MAX_INDEXED_CHARS = 300_000  # of a body, for matching
SNIPPET_SOURCE_CHARS = 30_000  # of a body, kept (compressed) to cut snippets from
SUGGEST_BELOW = 5  # "did you mean" is looked for when fewer results than this were found
SCHEMA_VERSION = 3
THEME_SEPARATOR = "\x1f"
MERGE_UNIT, MERGE_FACTOR = 1000, 16  # see merge_tiers
ALLOWED_CACHE_SIZE = 4096  # readable-document sets kept per principal (most are a user's few notes)
ALLOWED_SETS_CACHE_SIZE = 128  # unions kept per set of principals (each up to the index's size)

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


class _Collector(collectors.TopCollector):
    """Every matching document the searcher may read (``matched``), and the best ``limit`` of
    them by score when ``scored``. ``allowed`` (global docnums, None for everything) is checked
    before a document is scored, counted or faceted: access is part of the query."""

    def __init__(self, limit, allowed, scored):
        super().__init__(limit=limit, usequality=False)
        # No matcher replacement: it drops sub-matchers that cannot beat the current top
        # scores, which is right for a top-N alone but loses matches from the total and facets.
        self.replace = 0
        self.allowed = allowed
        self.scored = scored
        self.matched = []

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context if self.scored else context.set(weighting=None))

    def collect_matches(self):
        allowed, offset, matched = self.allowed, self.offset, self.matched
        collect = super().collect if self.scored else None
        for sub_docnum in self.matches():
            docnum = offset + sub_docnum
            if allowed is not None and docnum not in allowed:
                continue
            matched.append(docnum)
            if collect is not None:
                collect(sub_docnum)


class _SortedIds(ListMatcher):
    """A sorted list of docnums as a matcher, skipping by bisection."""

    def skip_to(self, id):
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect_left(self._ids, id, self._i)


class _ReadableSpanNear(wq.SpanNear2.SpanNear2Matcher):
    """SpanNear2's matcher whose candidates are also in a list of readable docnums: word positions
    are only compared in documents the searcher may read."""

    def __init__(self, ms, readable, slop=1, ordered=True, mindist=1):
        self.readable = readable
        self.ms = ms
        self.slop = slop
        self.ordered = ordered
        self.mindist = mindist
        isect = make_binary_tree(IntersectionMatcher, [readable, *ms])
        wq.spans.SpanWrappingMatcher.__init__(self, isect)

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.readable.copy(), slop=self.slop,
                              ordered=self.ordered, mindist=self.mindist)


class ReadablePhrase(wq.Phrase):
    """A phrase looked for only in readable documents (``readable(segment searcher)`` gives their
    sorted docnums in that segment, None when every document is readable): checking the positions
    of a phrase's words is what phrase queries cost, and most candidates are not readable."""

    def __init__(self, fieldname, words, readable):
        super().__init__(fieldname, words)
        self.readable = readable

    def matcher(self, searcher, context=None):
        ids = self.readable(searcher) if self.readable is not None else None
        if ids is None:
            return super().matcher(searcher, context)
        if not ids or self.fieldname not in searcher.schema:
            return NullMatcher()
        field = searcher.schema[self.fieldname]
        reader = searcher.reader()
        terms = []
        for word in self.words:
            word = field.to_bytes(word)
            if (self.fieldname, word) not in reader:
                return NullMatcher()
            terms.append(wq.Term(self.fieldname, word))
        ms = [t.matcher(searcher, context) for t in terms]
        return _ReadableSpanNear(ms, _SortedIds(ids, all_weights=0.0), slop=self.slop, ordered=True, mindist=1)


def merge_tiers(writer, segments):
    """Merge policy: segments are grouped in tiers by size (a tier is MERGE_FACTOR times the one
    below, from MERGE_UNIT documents); when a tier holds MERGE_FACTOR segments, they are merged
    (with the segment being written) into one of the next tier. A document is so rewritten about
    log(N / batch) times. Whoosh's default policy instead merges everything, again and again, as
    the index grows (at 100 000 documents, every document was rewritten about ten times).
    Segments with more than a third of their documents deleted are merged too."""
    from whoosh.reading import SegmentReader

    tiers = {}
    for segment in segments:
        tier, size = 0, MERGE_UNIT
        while segment.doc_count() >= size:
            tier, size = tier + 1, size * MERGE_FACTOR
        tiers.setdefault(tier, []).append(segment)
    merged = []
    for _tier, members in sorted(tiers.items()):
        if len(members) >= MERGE_FACTOR:
            merged.extend(members)
    for segment in segments:
        if segment not in merged and segment.deleted_count() * 3 > segment.doc_count_all():
            merged.append(segment)
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in merged]


def _segments_key(searcher):
    """What identifies the documents a searcher sees: its segments and their deletions."""
    key = []
    for sub, _offset in searcher.leaf_searchers():
        segment = sub.reader().segment()  # None for an empty index
        key.append((segment.segment_id(), segment.deleted_count()) if segment is not None else (None, 0))
    return tuple(key)


def _anchored(node):
    """True when every match of ``node`` has one of its words (so it matches only documents of
    the language whose fields it looks in)."""
    if isinstance(node, (Word, Prefix, Phrase)):
        return True
    if isinstance(node, And):
        return any(_anchored(c) for c in node.children)
    if isinstance(node, Or):
        return all(_anchored(c) for c in node.children)
    return False  # a field, a NOT


class FastPositions(formats.Positions):
    """Positions, from the analyzer's ``index_terms`` when it has one (no Token per word)."""

    def word_values(self, value, analyzer, **kwargs):
        index_terms = getattr(analyzer, "index_terms", None)
        if index_terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        first, terms = index_terms(value)
        poses = {}
        for pos, term in enumerate(terms, first):
            found = poses.get(term)
            if found is None:
                poses[term] = [pos]
            else:
                found.append(pos)
        fb = self.field_boost
        encode = self.encode
        for term, poslist in poses.items():
            yield (term, len(poslist), len(poslist) * fb, encode(poslist))


class WordSet(formats.Frequency):
    """Each distinct word once (frequency 1), from the analyzer's ``words`` when it has one."""

    def word_values(self, value, analyzer, **kwargs):
        words = getattr(analyzer, "words", None)
        if words is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb, one = self.field_boost, pack_uint(1)
        for word in words(value):
            yield (word, 1, fb, one)


def _text(analyzer, field_boost=1.0):
    field = wf.TEXT(analyzer=analyzer, field_boost=field_boost)
    field.format = FastPositions(field_boost=field_boost)
    return field


def build_schema():
    fr, en = french_analyzer(), english_analyzer()
    spell = wf.TEXT(analyzer=spelling_analyzer(), phrase=False)
    spell.format = WordSet()
    return wf.Schema(
        key=wf.ID(unique=True, stored=True, sortable=True),
        kind=wf.ID(stored=True, sortable=True),
        object_id=wf.STORED(),
        community=wf.ID(stored=True, sortable=True),
        readers=wf.KEYWORD(commas=True, scorable=False),
        title=wf.STORED(),
        url=wf.STORED(),
        text=wf.STORED(),  # the start of the body, zlib-compressed, for snippets
        title_fr=_text(fr, 3.0),
        body_fr=_text(fr),
        title_en=_text(en, 3.0),
        body_en=_text(en),
        spell=spell,
        type=wf.ID(sortable=True),
        theme=wf.KEYWORD(commas=True),  # folded, for filters
        theme_facet=wf.COLUMN(columns.RefBytesColumn()),  # as written, joined by THEME_SEPARATOR, for facets
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


def plain_snippet(text, length=SNIPPET_CHARS):
    text = " ".join((text or "").split())
    if len(text) > length:
        text = text[:length].rsplit(" ", 1)[0] + " …"
    return html.escape(text, quote=False)


def _per_thread():
    """A store per operating-system thread. Under gevent (the production server), ``threading.local``
    is patched into one store per greenlet, that is per request, which would open a searcher for
    every search; a search never yields to another greenlet, so a thread's greenlets can share one."""
    try:
        from gevent import monkey
    except ImportError:
        return threading.local()
    if monkey.is_module_patched("threading"):
        return monkey.get_original("threading", "local")()
    return threading.local()


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, path, lock_timeout=5.0, retries=6):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.retries = retries
        self._lock = _lock_for(self.path)
        self._ix = None
        self.schema = build_schema()
        self._local = _per_thread()
        self._cache_lock = threading.Lock()
        self._segment_columns = {}  # segment id -> {facet: raw values by docnum}
        self._column_cache = {}  # _segments_key -> {facet: raw values by global docnum}
        self._allowed_key, self._allowed_by_principal, self._allowed_by_set = None, {}, {}
        self._allowed_sorted = {}  # readable set -> its sorted docnums (phrases)

    # --- the index ----------------------------------------------------------------------

    def rebuild_needed(self):
        if self._ix is not None:
            return False
        version_file = self.path / "hub-schema-version"
        current = version_file.read_text().strip() if version_file.exists() else None
        return windex.exists_in(str(self.path)) and current != str(SCHEMA_VERSION)

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
                        log.warning("The search index at %s has an older layout: recreated empty, to be rebuilt from the database.", self.path)
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
                commit_args = work(writer) or {"mergetype": merge_tiers}
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
            "text": zlib.compress(body[:SNIPPET_SOURCE_CHARS].encode("utf-8"), 1),
            f"title_{language}": title,
            f"body_{language}": body,
            "spell": (title, body),  # WordSet takes both texts
            "language": language,
            "updated_at": _naive_utc(doc.updated_at),
        }
        if doc.community_id is not None:
            fields["community"] = str(doc.community_id)
        if doc.type:
            fields["type"] = doc.type.strip().lower()
        themes = [" ".join(t.replace(",", " ").split()) for t in theme_values(doc) if t and t.strip()]
        if themes:
            fields["theme"] = ",".join(fold(t) for t in themes)
            fields["theme_facet"] = THEME_SEPARATOR.join(dict.fromkeys(themes)).encode("utf-8")
        if doc.municipality and doc.municipality.strip():
            fields["municipality"] = fold(" ".join(doc.municipality.split()))
            fields["municipality_facet"] = " ".join(doc.municipality.split())
        if doc.year is not None:
            fields["year"] = int(doc.year)
        return fields

    def upsert(self, documents):
        # One writer per batch; the last version of a key in the batch wins.
        prepared = list({d.key: self._fields(d) for d in documents}.values())
        if not prepared:
            return

        def work(writer):
            # What update_document does, with one searcher for the whole batch.
            with writer.searcher() as searcher:
                for docnum in searcher._find_unique([("key", fields["key"]) for fields in prepared]):
                    writer.delete_document(docnum)
            for fields in prepared:
                writer.add_document(**fields)

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

    def _compile(self, node, language, readable=None):
        title, body = f"title_{language}", f"body_{language}"
        if isinstance(node, (Word, Prefix, Phrase)):
            tokens = analyze(node.text, language)
            if isinstance(node, Prefix):
                return wq.Or([wq.Prefix(title, tokens[-1]), wq.Prefix(body, tokens[-1])])
            if len(tokens) == 1:
                return wq.Or([wq.Term(title, tokens[0]), wq.Term(body, tokens[0])])
            if isinstance(node, Phrase):
                return wq.Or([ReadablePhrase(title, tokens, readable), ReadablePhrase(body, tokens, readable)])
            return wq.And([wq.Or([wq.Term(title, t), wq.Term(body, t)]) for t in tokens])
        if isinstance(node, Field):
            return self._field(node.name, node.value)
        if isinstance(node, And):
            return wq.And([self._compile(c, language, readable) for c in node.children])
        if isinstance(node, Or):
            return wq.Or([self._compile(c, language, readable) for c in node.children])
        if isinstance(node, Not):
            return wq.Not(self._compile(node.child, language, readable))
        raise TypeError(node)

    @staticmethod
    def _field(name, value):
        if name == "type":
            return wq.Term("type", value.strip().lower())
        if name == "theme":
            value = fold(" ".join(value.split()).lstrip(TAG_MARK))
            return wq.Or([wq.Term("theme", value), wq.Term("theme", TAG_MARK + value), wq.Term("theme", fold(CATEGORY_MARK) + value)])
        if name == "municipality":
            value = fold(" ".join(value.split()))
            # "rimouski" finds "Rimouski" and "Ville de Rimouski"
            return wq.Or([wq.Term("municipality", value), wq.Wildcard("municipality", "* " + value.replace("*", "").replace("?", ""))])
        if name == "year":
            low, high = value
            return wq.NumericRange("year", low, high)
        raise ValueError(name)

    def _text_query(self, parsed, readable=None):
        if parsed.is_empty:
            return wq.Every()
        branches = []
        for language in ("fr", "en"):
            node = simplify(parsed.root, language)
            if node is not None:
                compiled = self._compile(node, language, readable)
                # title_fr/body_fr only hold French documents: the language test is needed only
                # when the branch can match without one of its words (NOT, fields).
                branches.append(compiled if _anchored(node) else wq.And([wq.Term("language", language), compiled]))
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

    # --- searching ----------------------------------------------------------------------

    def _searcher(self):
        """A searcher on the latest commit, kept between searches (one per OS thread): opening every
        segment's files for each search costs more than most searches."""
        searcher = getattr(self._local, "searcher", None)
        searcher = self._index().searcher() if searcher is None else searcher.refresh()
        self._local.searcher = searcher
        return searcher

    def _columns(self, searcher, key):
        """Facet name -> the raw column value of every document (by global docnum), and
        ``updated_at``: read once per segment, then kept."""
        leaves = searcher.leaf_searchers()
        with self._cache_lock:
            found = self._column_cache.get(key)
        if found is not None:
            return found
        fields = {**FACET_FIELDS, "updated_at": "updated_at"}
        found = {name: [] for name in fields}
        for sub, _offset in leaves:
            reader = sub.reader()
            segment = reader.segment()
            segment_id = segment.segment_id() if segment is not None else None  # a segment's columns never change
            with self._cache_lock:
                per_segment = self._segment_columns.get(segment_id) if segment_id is not None else None
            if per_segment is None:
                per_segment = {}
                for name, fieldname in fields.items():
                    if reader.has_column(fieldname):
                        per_segment[name] = list(reader.column_reader(fieldname, translate=False))
                    else:
                        per_segment[name] = [None] * reader.doc_count_all()
                if segment_id is not None:
                    with self._cache_lock:
                        self._segment_columns[segment_id] = per_segment
            for name in fields:
                found[name].extend(per_segment[name])
        with self._cache_lock:
            live = {segment_id for segment_id, _deleted in key}
            for stale in [k for k in self._segment_columns if k not in live]:
                del self._segment_columns[stale]
            self._column_cache = {key: found}
        return found

    def _allowed(self, searcher, key, principals):
        """The global docnums of the documents ``principals`` may read (None: everything), from the
        ``readers`` postings; kept per principal for the current segments."""
        if "admin" in principals:
            return None
        principals = tuple(sorted(p for p in principals if p))
        with self._cache_lock:
            if self._allowed_key != key:
                self._allowed_key, self._allowed_by_principal, self._allowed_by_set = key, {}, {}
                self._allowed_sorted = {}
            found = self._allowed_by_set.get(principals)
        if found is not None:
            return found
        sets = []
        for principal in principals:
            with self._cache_lock:
                docs = self._allowed_by_principal.get(principal)
            if docs is None:
                docs = set()
                for sub, offset in searcher.leaf_searchers():
                    reader = sub.reader()
                    if ("readers", principal) in reader:
                        docs.update(offset + d for d in reader.postings("readers", principal).all_ids())
                docs = frozenset(docs)
                with self._cache_lock:
                    if len(self._allowed_by_principal) >= ALLOWED_CACHE_SIZE:
                        self._allowed_by_principal.pop(next(iter(self._allowed_by_principal)))
                    self._allowed_by_principal[principal] = docs
            sets.append(docs)
        found = frozenset().union(*sets) if len(sets) != 1 else sets[0]
        with self._cache_lock:
            if len(self._allowed_by_set) >= ALLOWED_SETS_CACHE_SIZE:
                self._allowed_by_set.pop(next(iter(self._allowed_by_set)))
            self._allowed_by_set[principals] = found
        return found

    def _readable(self, searcher, allowed):
        """For phrases: segment searcher -> sorted readable docnums in that segment (see
        ReadablePhrase); None when everything is readable."""
        if allowed is None:
            return None
        with self._cache_lock:
            ordered = self._allowed_sorted.get(allowed)  # keyed by the (cached, immutable) set
        if ordered is None:
            ordered = sorted(allowed)
            with self._cache_lock:
                if len(self._allowed_sorted) >= ALLOWED_SETS_CACHE_SIZE // 4:
                    self._allowed_sorted.clear()
                self._allowed_sorted[allowed] = ordered
        spans = {id(sub.reader()): (offset, sub.doc_count_all()) for sub, offset in searcher.leaf_searchers()}

        def readable(segment_searcher):
            span = spans.get(id(segment_searcher.reader()))
            if span is None:
                return None
            offset, count = span
            low, high = bisect_left(ordered, offset), bisect_left(ordered, offset + count)
            return [d - offset for d in ordered[low:high]]

        return readable

    def search(self, query):
        parsed = parse(query.text)
        page, per_page = max(1, int(query.page)), max(1, int(query.per_page))
        if self._access(query.principals) is wq.NullQuery:
            return SearchResults(total=0, hits=[], facets={name: {} for name in FACET_FIELDS})
        by_date = query.sort == "date" or not has_text(parsed.root)
        limit = page * per_page
        searcher = self._searcher()
        key = _segments_key(searcher)
        columns = self._columns(searcher, key)
        allowed = self._allowed(searcher, key, query.principals)
        full = wq.And([self._text_query(parsed, self._readable(searcher, allowed)), *self._filters(query)])
        collector = _Collector(limit, allowed, scored=not by_date)
        ran = allowed is None or bool(allowed)  # nothing readable: nothing to look for
        if ran:
            searcher.search_with_collector(full, collector)
        matched = collector.matched
        if not ran:
            ranked = []
        elif by_date:  # the newest first (ties: the later document first)
            updated = columns["updated_at"]
            ranked = [(d, 0.0) for d in heapq.nlargest(limit, matched, key=lambda d: (updated[d] or 0, d))]
        else:
            ranked = [(d, score) for score, d in collector.results().top_n]
        total = len(matched)
        facets = self._facets(columns, matched)
        terms = highlight_terms(parsed)
        hits = [self._hit(searcher, docnum, score, terms) for docnum, score in ranked[(page - 1) * per_page:limit]]
        suggestion = None
        if total < SUGGEST_BELOW and not parsed.is_empty:
            suggestion = self._suggest(searcher, parsed, self._access(query.principals))
        return SearchResults(total=total, hits=hits, facets=facets, suggestion=suggestion)

    def _facets(self, columns, matched):
        """Counts of each facet's values over the matched documents (column values, decoded once
        per distinct value)."""
        facets = {}
        for name, fieldname in FACET_FIELDS.items():
            raw = Counter(map(columns[name].__getitem__, matched))
            counts = {}
            for value, count in raw.items():
                if value is None or value == b"":
                    continue
                if name == "theme":
                    for theme in dict.fromkeys(value.decode("utf-8").split(THEME_SEPARATOR)):
                        if theme:
                            counts[theme] = counts.get(theme, 0) + count
                    continue
                value = self.schema[fieldname].from_column_value(value)
                if name == "year":
                    if not 0 < int(value) < 10000:  # the column's stand-in for "no year"
                        continue
                    value = int(value)
                elif name == "community":
                    value = int(value)
                counts[value] = counts.get(value, 0) + count
            facets[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))
        return facets

    def _hit(self, searcher, docnum, score, terms):
        fields = searcher.stored_fields(docnum)
        language = fields.get("language", "fr")
        text = zlib.decompress(fields["text"]).decode("utf-8") if fields.get("text") else ""
        stems, prefixes = terms.get(language, (frozenset(), frozenset()))
        snippet = highlight(text, language, stems, prefixes) if (stems or prefixes) and text else None
        community = fields.get("community")
        return SearchHit(
            kind=fields["kind"],
            id=fields["object_id"],
            title=fields.get("title", ""),
            url=fields.get("url", ""),
            snippet=snippet or plain_snippet(text),
            community_id=int(community) if community else None,
            updated_at=_aware(fields["updated_at"]),
            score=float(score or 0.0),
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
