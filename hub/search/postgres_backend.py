"""The PostgreSQL backend: full-text search in the ``search_documents`` table.

``tsv`` holds the title (weight A) and the body (weight B), analyzed with ``hub_fr`` (french with
unaccent before french_stem) or ``hub_en`` (english with unaccent) by the document's language.
A query is compiled once per language, as in the Whoosh backend, and each branch only matches
documents of its language:

    (language <> 'en' AND tsv @@ <query in hub_fr>) OR (language = 'en' AND tsv @@ <query in hub_en>)

Access is a WHERE condition (``readers && ARRAY[principals]``, GIN-indexed) shared by the hits, the
total and the facets, so nothing is counted or shown from documents the searcher may not read.

Speed (see BENCHMARKS.md): the total, the facets and the page's keys come from one materialized pass
over the matching readable rows, found through the GIN index on ``tsv`` (reading a row's vector
means fetching it from TOAST, which the planner does not weigh: hence ``enable_seqscan = off`` and
the readers test kept out of the index choice when there are words); phrases are looked for by
their words first and checked on readable rows only; snippets are cut in Python (``snippets``) from
the start of the page's rows only.
"""
from contextlib import contextmanager
from datetime import timezone

import sqlalchemy as sa

from ..extensions import db
from .analysis import fold, normalize_language, spelling_words
from .base import CATEGORY_MARK, TAG_MARK, SearchBackend, SearchHit, SearchResults, theme_values
from .query import And, Field, Not, Or, Phrase, Prefix, Word, has_text, parse, simplify
from .snippets import highlight
from .snippets import highlight_terms as _highlight_terms
from .suggest import build_suggestion
from .whoosh_backend import MAX_INDEXED_CHARS, SNIPPET_SOURCE_CHARS, SUGGEST_BELOW, plain_snippet

CONFIGS = {"fr": "hub_fr", "en": "hub_en"}
FACETS = ("kind", "type", "theme", "municipality", "year", "language", "community")
# Formerly marks around matches in ts_headline's output: private-use characters, still removed
# from indexed text.
START, STOP = "\ue000", "\ue001"


def ensure_postgres_search_setup(connection):
    """Create, when missing, what the search tables need on PostgreSQL; safe to run again.

    The unaccent and pg_trgm extensions, and the text search configurations ``hub_fr`` (french,
    with unaccent before french_stem) and ``hub_en`` (english, with unaccent before english_stem),
    in the current schema. Takes a SQLAlchemy Connection; does not commit.
    """
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    for name, base, stemmer in (("hub_fr", "french", "french_stem"), ("hub_en", "english", "english_stem")):
        exists = connection.execute(
            sa.text(
                "SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace "
                "WHERE c.cfgname = :name AND n.nspname = current_schema()"
            ),
            {"name": name},
        ).first()
        if not exists:
            connection.execute(sa.text(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base})"))
            connection.execute(sa.text(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {stemmer}"))


def drop_postgres_search_setup(connection):
    """Undo ``ensure_postgres_search_setup``'s configurations (extensions stay: others may use them)."""
    connection.execute(sa.text("DROP TEXT SEARCH CONFIGURATION IF EXISTS hub_fr"))
    connection.execute(sa.text("DROP TEXT SEARCH CONFIGURATION IF EXISTS hub_en"))


def _clean(text):
    """Text PostgreSQL accepts (no NUL, no lone surrogate), without the headline marks."""
    text = (text or "").encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", " ").replace(START, " ").replace(STOP, " ")


_UPSERT = sa.text(
    """
    INSERT INTO search_documents
        (key, kind, object_id, community_id, readers, title, body, url, language, updated_at, type, themes, municipality, year, tsv)
    VALUES
        (:key, :kind, :object_id, :community_id, CAST(:readers AS text[]), :title, :body, :url, :language, :updated_at,
         :type, CAST(:themes AS text[]), :municipality, :year,
         setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A') || setweight(to_tsvector(CAST(:config AS regconfig), :body), 'B'))
    ON CONFLICT (key) DO UPDATE SET
        kind = EXCLUDED.kind, object_id = EXCLUDED.object_id, community_id = EXCLUDED.community_id,
        readers = EXCLUDED.readers, title = EXCLUDED.title, body = EXCLUDED.body, url = EXCLUDED.url,
        language = EXCLUDED.language, updated_at = EXCLUDED.updated_at, type = EXCLUDED.type,
        themes = EXCLUDED.themes, municipality = EXCLUDED.municipality, year = EXCLUDED.year, tsv = EXCLUDED.tsv
    """
)
_ADD_TERMS = sa.text(
    "INSERT INTO search_terms (word, folded) "
    "SELECT w, f FROM unnest(CAST(:words AS text[]), CAST(:folded AS text[])) AS t(w, f) "
    "ON CONFLICT (word) DO NOTHING"
)


class _Sql:
    """Collects bind parameters while a query is compiled to SQL text."""

    def __init__(self):
        self.params = {}

    def bind(self, value):
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def _pure_text(node):
    if isinstance(node, Field):
        return False
    if isinstance(node, (Word, Prefix, Phrase)):
        return True
    if isinstance(node, Not):
        return _pure_text(node.child)
    return all(_pure_text(c) for c in node.children)


def _has_phrase(node):
    if isinstance(node, Phrase):
        return True
    if isinstance(node, Not):
        return _has_phrase(node.child)
    return isinstance(node, (And, Or)) and any(_has_phrase(c) for c in node.children)


def _phrase_under_not(node):
    if isinstance(node, Not):
        return _has_phrase(node.child)
    return isinstance(node, (And, Or)) and any(_phrase_under_not(c) for c in node.children)


class PostgresBackend(SearchBackend):
    name = "postgres"
    # Writes can join the caller's transaction (``connection=``): the outbox is then applied atomically.
    transactional = True

    @contextmanager
    def _connection(self, connection=None):
        if connection is not None:
            yield connection
        else:
            with db.engine.begin() as conn:
                yield conn

    # --- writes -------------------------------------------------------------------------

    def _row(self, doc):
        language = normalize_language(doc.language)
        themes = []
        for theme in theme_values(doc):
            theme = " ".join(_clean(theme).split())
            if theme and theme not in themes:
                themes.append(theme)
        municipality = " ".join(_clean(doc.municipality).split()) or None
        return {
            "key": doc.key,
            "kind": doc.kind,
            "object_id": doc.id,
            "community_id": doc.community_id,
            "readers": sorted({r for r in doc.readers if r}),
            "title": _clean(doc.title),
            "body": _clean(doc.body)[:MAX_INDEXED_CHARS],
            "url": doc.url,
            "language": language,
            "updated_at": doc.updated_at,
            "type": doc.type.strip().lower() if doc.type else None,
            "themes": themes,
            "municipality": municipality,
            "year": int(doc.year) if doc.year is not None else None,
            "config": CONFIGS[language],
        }

    def upsert(self, documents, connection=None):
        rows = [self._row(d) for d in documents]
        if not rows:
            return
        words = set()
        for row in rows:
            words |= spelling_words(row["title"] + "\n" + row["body"])
        words = sorted(w for w in words if len(w) <= 60)  # sorted: concurrent writers lock rows in one order
        with self._connection(connection) as conn:
            conn.execute(_UPSERT, rows)
            if words:
                conn.execute(_ADD_TERMS, {"words": words, "folded": [fold(w) for w in words]})

    def delete(self, keys, connection=None):
        keys = [k for k in keys if k]
        if keys:
            with self._connection(connection) as conn:
                conn.execute(sa.text("DELETE FROM search_documents WHERE key = ANY(CAST(:keys AS text[]))"), {"keys": keys})

    def clear(self, connection=None):
        with self._connection(connection) as conn:
            conn.execute(sa.text("DELETE FROM search_documents"))
            conn.execute(sa.text("DELETE FROM search_terms"))

    # --- reads --------------------------------------------------------------------------

    def keys(self):
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT key, updated_at FROM search_documents"))
            return {key: updated_at.astimezone(timezone.utc) for key, updated_at in rows}

    def status(self):
        try:
            with db.engine.connect() as conn:
                count = conn.execute(sa.text("SELECT count(*) FROM search_documents")).scalar_one()
                configs = conn.execute(sa.text("SELECT count(*) FROM pg_ts_config WHERE cfgname IN ('hub_fr', 'hub_en')")).scalar_one()
        except Exception as error:  # reported, never raised: /healthz reads this
            return {"status": "error", "backend": self.name, "error": type(error).__name__}
        if configs < 2:
            return {"status": "error", "backend": self.name, "documents": count, "error": "text search configurations hub_fr/hub_en missing"}
        return {"status": "ok", "backend": self.name, "documents": count}

    # --- compiling a query --------------------------------------------------------------

    def _tsquery(self, node, config, sql, loose=False):
        """A tsquery expression for a tree of words only (no field), or None. ``loose``: phrases
        as their words in any order (a wider match the GIN index answers without reading rows)."""
        if isinstance(node, Word):
            return f"plainto_tsquery('{config}', {sql.bind(node.text)})"
        if isinstance(node, Phrase):
            return f"{'plainto_tsquery' if loose else 'phraseto_tsquery'}('{config}', {sql.bind(node.text)})"
        if isinstance(node, Prefix):
            return f"to_tsquery('{config}', {sql.bind(chr(39) + node.text.replace(chr(39), '') + chr(39) + ':*')})"
        if isinstance(node, Field):
            return None
        if isinstance(node, Not):
            inner = self._tsquery(node.child, config, sql)  # never loosened under a NOT
            return f"(!! {inner})" if inner else None
        parts = [p for p in (self._tsquery(c, config, sql, loose) for c in node.children) if p]
        if not parts:
            return None
        joiner = " && " if isinstance(node, And) else " || "
        return "(" + joiner.join(parts) + ")"

    def _condition(self, node, config, sql, loose=False):
        """A boolean SQL condition for any tree; word-only subtrees become one tsquery match."""
        if _pure_text(node):
            return f"d.tsv @@ {self._tsquery(node, config, sql, loose)}"
        if isinstance(node, Field):
            return self._field(node.name, node.value, sql)
        if isinstance(node, Not):
            return f"NOT ({self._condition(node.child, config, sql)})"
        text_children = [c for c in node.children if _pure_text(c)]
        others = [c for c in node.children if not _pure_text(c)]
        cls = type(node)
        parts = []
        if text_children:
            group = text_children[0] if len(text_children) == 1 else cls(tuple(text_children))
            parts.append(f"d.tsv @@ {self._tsquery(group, config, sql, loose)}")
        parts.extend(self._condition(c, config, sql, loose) for c in others)
        return "(" + (" AND " if cls is And else " OR ").join(parts) + ")"

    @staticmethod
    def _field(name, value, sql):
        if name == "type":
            return f"d.type = {sql.bind(value.strip().lower())}"
        if name == "theme":
            theme = " ".join(value.split()).lstrip(TAG_MARK)
            wanted = ", ".join(f"lower(unaccent({sql.bind(v)}))" for v in (theme, TAG_MARK + theme, CATEGORY_MARK + theme))
            return f"EXISTS (SELECT 1 FROM unnest(d.themes) AS t(v) WHERE lower(unaccent(t.v)) IN ({wanted}))"
        if name == "municipality":
            # "rimouski" finds "Rimouski" and "Ville de Rimouski"
            place = " ".join(value.split())
            ending = "% " + place.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return (f"(lower(unaccent(d.municipality)) = lower(unaccent({sql.bind(place)}))"
                    f" OR lower(unaccent(d.municipality)) LIKE lower(unaccent({sql.bind(ending)})))")
        if name == "year":
            low, high = value
            parts = []
            if low is not None:
                parts.append(f"d.year >= {sql.bind(int(low))}")
            if high is not None:
                parts.append(f"d.year <= {sql.bind(int(high))}")
            return "(" + " AND ".join(parts) + ")"
        raise ValueError(name)

    @staticmethod
    def _access(principals, sql):
        """None when the searcher reads everything (admin); "FALSE" when nothing."""
        if "admin" in principals:
            return None
        principals = sorted(p for p in principals if p)
        if not principals:
            return "FALSE"
        return f"d.readers && CAST({sql.bind(principals)} AS text[])"

    def _where(self, query, parsed, sql):
        """(conditions, ranking tsquery per language, exact text condition or None).

        A phrase is checked by reading each candidate row's vector (the GIN index only knows
        which rows have its words). When the query has phrases (not under a NOT), the conditions
        look for their words only, and ``exact`` is the phrase test, to apply afterwards to the
        rows found, so that only readable candidates are read."""
        conditions = []
        ranking = {}
        exact = None
        if parsed.is_empty:
            pass
        else:
            branches, exact_branches = [], []
            two_stage = _has_phrase(parsed.root) and not _phrase_under_not(parsed.root)
            for language in ("fr", "en"):
                node = simplify(parsed.root, language)
                if node is None:
                    continue
                config = CONFIGS[language]
                test = "d.language = 'en'" if language == "en" else "d.language <> 'en'"
                branches.append(f"({test} AND {self._condition(node, config, sql, loose=two_stage)})")
                if two_stage:
                    exact_branches.append(f"({test} AND {self._condition(node, config, sql)})")
                ranking[language] = self._tsquery(node, config, sql)
            conditions.append("(" + " OR ".join(branches) + ")" if branches else "FALSE")
            if exact_branches:
                exact = "(" + " OR ".join(exact_branches) + ")"
        access = self._access(query.principals, sql)
        if access is not None:
            # With words to look for, the readers test is applied to the rows the text index
            # finds ("IS TRUE" keeps the planner from starting with the readers index, then reading
            # every readable row's vector); without words, the readers index finds the rows.
            conditions.append(f"({access}) IS TRUE" if any(ranking.values()) else access)
        if query.kinds:
            conditions.append(f"d.kind = ANY(CAST({sql.bind(list(query.kinds))} AS text[]))")
        if query.community_ids:
            conditions.append(f"d.community_id = ANY(CAST({sql.bind([int(c) for c in query.community_ids])} AS integer[]))")
        if query.type:
            conditions.append(self._field("type", query.type, sql))
        if query.theme:
            conditions.append(self._field("theme", query.theme, sql))
        if query.municipality:
            conditions.append(self._field("municipality", query.municipality, sql))
        if query.year is not None:
            conditions.append(self._field("year", (int(query.year), int(query.year)), sql))
        if query.language:
            conditions.append(f"d.language = {sql.bind(normalize_language(query.language))}")
        return " AND ".join(conditions) or "TRUE", ranking, exact

    # --- searching ----------------------------------------------------------------------

    def search(self, query):
        parsed = parse(query.text)
        page, per_page = max(1, int(query.page)), max(1, int(query.per_page))
        sql = _Sql()
        where, ranking, exact = self._where(query, parsed, sql)
        by_date = query.sort == "date" or not has_text(parsed.root)
        by_language = {lang: ranking.get(lang) for lang in ("fr", "en")}
        if any(by_language.values()):
            rank = "CASE WHEN d.language = 'en' THEN {en} ELSE {fr} END".format(
                en=f"ts_rank_cd(d.tsv, {by_language['en']}, 32)" if by_language["en"] else "0",
                fr=f"ts_rank_cd(d.tsv, {by_language['fr']}, 32)" if by_language["fr"] else "0",
            )
        else:
            rank = "0"
        order = "updated_at DESC, key" if by_date else "rank DESC, updated_at DESC, key"
        if exact is None:
            candidates, source = "", f"search_documents d WHERE {where}"
        else:  # phrases: their words first (the index), then the phrase test on those rows only
            candidates = f"c AS MATERIALIZED (SELECT d.key FROM search_documents d WHERE {where}), "
            source = f"c JOIN search_documents d ON d.key = c.key WHERE ({exact}) IS TRUE"
        # One pass over the matching rows the searcher may read: the total, every facet and the
        # page's keys come from the same materialized set (the rank, which reads each row's
        # vector, is computed once per row, and only when sorting by relevance).
        search_sql = f"""
            WITH {candidates}m AS MATERIALIZED (
                SELECT d.key, d.kind, d.type, d.themes, d.municipality, d.year, d.language, d.community_id,
                       d.updated_at, {rank if not by_date else "0"} AS rank
                FROM {source}
            ),
            page AS (
                SELECT key, rank, row_number() OVER () AS n FROM (
                    SELECT key, rank FROM m ORDER BY {order}
                    LIMIT {sql.bind(per_page)} OFFSET {sql.bind((page - 1) * per_page)}
                ) p
            )
            SELECT 'total' AS facet, NULL AS value, count(*) AS n, NULL AS key, NULL::float8 AS rank FROM m
            UNION ALL SELECT 'kind', kind, count(*), NULL, NULL FROM m GROUP BY kind
            UNION ALL SELECT 'type', type, count(*), NULL, NULL FROM m WHERE type IS NOT NULL GROUP BY type
            UNION ALL SELECT 'theme', t.v, count(*), NULL, NULL FROM m, unnest(m.themes) AS t(v) GROUP BY t.v
            UNION ALL SELECT 'municipality', municipality, count(*), NULL, NULL FROM m WHERE municipality IS NOT NULL GROUP BY municipality
            UNION ALL SELECT 'year', year::text, count(*), NULL, NULL FROM m WHERE year IS NOT NULL GROUP BY year
            UNION ALL SELECT 'language', language, count(*), NULL, NULL FROM m GROUP BY language
            UNION ALL SELECT 'community', community_id::text, count(*), NULL, NULL FROM m WHERE community_id IS NOT NULL GROUP BY community_id
            UNION ALL SELECT 'hit', NULL, n, key, rank FROM page
        """
        # The page's rows only: their text (bounded) for the snippet.
        page_sql = f"""
            SELECT d.key, d.kind, d.object_id, d.title, d.url, d.community_id, d.updated_at, d.language,
                   left(d.body, {SNIPPET_SOURCE_CHARS}) AS text
            FROM search_documents d WHERE d.key = ANY(CAST(:keys AS text[]))
        """
        total, facets, page_keys = 0, {name: {} for name in FACETS}, []
        terms = _highlight_terms(parsed)
        with db.engine.connect() as conn:
            # The cost model does not see that reading ``tsv`` for a row means fetching it from
            # TOAST: without this, a word found in a few percent of the rows may be looked for by
            # reading every row's vector instead of through the GIN index.
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            for facet, value, count, key, score in conn.execute(sa.text(search_sql), sql.params):
                if facet == "total":
                    total = count
                elif facet == "hit":
                    page_keys.append((count, key, score))
                elif value is not None:
                    facets[facet][int(value) if facet in ("year", "community") else value] = count
            hits = []
            if page_keys:
                page_keys.sort()
                rows = {row.key: row for row in conn.execute(sa.text(page_sql), {"keys": [k for _n, k, _s in page_keys]})}
                hits = [self._hit(rows[key], score, terms) for _n, key, score in page_keys if key in rows]
            suggestion = None
            if total < SUGGEST_BELOW and not parsed.is_empty:
                suggestion = self._suggest(conn, parsed, query.principals)
        facets = {name: dict(sorted(values.items(), key=lambda item: (-item[1], str(item[0])))) for name, values in facets.items()}
        return SearchResults(total=total, hits=hits, facets=facets, suggestion=suggestion)

    @staticmethod
    def _hit(row, score, terms):
        # Only the displayed page's rows reach this point, with a bounded start of their text.
        stems, prefixes = terms.get(row.language if row.language == "en" else "fr")
        snippet = highlight(row.text, row.language, stems, prefixes) if (stems or prefixes) and row.text else None
        return SearchHit(
            kind=row.kind,
            id=row.object_id,
            title=row.title,
            url=row.url,
            snippet=snippet or plain_snippet(row.text[:600] if row.text else ""),
            community_id=row.community_id,
            updated_at=row.updated_at.astimezone(timezone.utc),
            score=float(score or 0.0),
        )

    def _suggest(self, conn, parsed, principals):
        sql = _Sql()
        access = self._access(principals, sql)
        if access == "FALSE":
            return None

        def candidates(word):
            rows = conn.execute(
                sa.text(
                    "SELECT word FROM search_terms WHERE folded % :folded "
                    "ORDER BY similarity(folded, :folded) DESC, word LIMIT 20"
                ),
                {"folded": fold(word)},
            )
            return [r.word for r in rows]

        def readable_count(word):
            where = [
                "((d.language = 'en' AND d.tsv @@ plainto_tsquery('hub_en', :word)) "
                "OR (d.language <> 'en' AND d.tsv @@ plainto_tsquery('hub_fr', :word)))",
                f"strpos(lower(d.title || ' ' || left(d.body, {MAX_INDEXED_CHARS})), :word) > 0",
            ]
            if access is not None:
                where.append(access)
            statement = f"SELECT count(*) FROM (SELECT 1 FROM search_documents d WHERE {' AND '.join(where)} LIMIT 20) found"
            return conn.execute(sa.text(statement), {**sql.params, "word": word}).scalar_one()

        return build_suggestion(parsed, candidates, readable_count)
