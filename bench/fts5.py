"""The baseline: SQLite FTS5 over the same documents, doing what the search page needs.

One normal (content-storing) FTS5 table with ``title`` and ``body`` columns, tokenized with
``unicode61 remove_diacritics 2`` (accents folded, no stemming, no stop words); metadata in a plain
table, readers and themes in side tables. A search answers what the hub's backends answer: the
total, facet counts over every readable match, and the 20 best hits by bm25 (title weighted 3×,
as the Whoosh backend's field boost) with a highlighted snippet.
"""
import html
import sqlite3
from pathlib import Path

from .corpus import Query

FACETS = ("kind", "type", "theme", "municipality", "year", "language", "community")
START, STOP = "\ue000", "\ue001"
SNIPPET_TOKENS = 24

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    community_id INTEGER,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    language TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    type TEXT,
    municipality TEXT,
    municipality_folded TEXT,
    year INTEGER
);
CREATE TABLE IF NOT EXISTS doc_readers (reader TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (reader, doc)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_readers_doc ON doc_readers (doc);
CREATE TABLE IF NOT EXISTS doc_themes (doc INTEGER NOT NULL, theme TEXT NOT NULL, PRIMARY KEY (doc, theme)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, tokenize = "unicode61 remove_diacritics 2");
"""


def _fold(text):
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c)).casefold()


def match_expression(query: Query):
    """The FTS5 MATCH string: each word (or the phrase) quoted, words ANDed."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in query.words)


class Fts5Baseline:
    name = "fts5"

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MB page cache
        self.conn.executescript(SCHEMA)

    def close(self):
        self.conn.close()

    # --- writes ---------------------------------------------------------------------------

    def upsert(self, documents):
        """Replace these documents (one transaction per batch, as the hub's backends do)."""
        c = self.conn
        c.execute("BEGIN")
        try:
            ids = [(d.id,) for d in documents]
            c.executemany("DELETE FROM fts WHERE rowid = ?", ids)
            c.executemany("DELETE FROM doc_readers WHERE doc = ?", ids)
            c.executemany("DELETE FROM doc_themes WHERE doc = ?", ids)
            c.executemany(
                "INSERT OR REPLACE INTO docs (id, key, kind, community_id, title, url, language, updated_at, type, municipality, municipality_folded, year) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (d.id, d.key, d.kind, d.community_id, d.title, d.url, d.language, d.updated_at.isoformat(), d.type,
                     d.municipality, _fold(d.municipality) if d.municipality else None, d.year)
                    for d in documents
                ],
            )
            c.executemany("INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)", [(d.id, d.title, d.body) for d in documents])
            c.executemany("INSERT INTO doc_readers (reader, doc) VALUES (?, ?)", [(r, d.id) for d in documents for r in set(d.readers)])
            c.executemany("INSERT INTO doc_themes (doc, theme) VALUES (?, ?)", [(d.id, t) for d in documents for t in dict.fromkeys(d.themes)])
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def finish(self):
        """After a bulk load: checkpoint the WAL so the file size is the index size."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def size_bytes(self):
        total = 0
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    # --- reads ----------------------------------------------------------------------------

    def _where(self, query: Query, params):
        readers = [p for p in query.principals]
        params["match"] = match_expression(query)
        marks = []
        for i, r in enumerate(readers):
            params[f"r{i}"] = r
            marks.append(f":r{i}")
        where = [
            "fts MATCH :match",
            f"+fts.rowid IN (SELECT doc FROM doc_readers WHERE reader IN ({', '.join(marks) or 'NULL'}))",
        ]
        if query.filter:
            name, value = query.filter
            if name == "type":
                where.append("d.type = :f")
            elif name == "municipality":
                where.append("d.municipality_folded = :f")
                value = _fold(value)
            elif name == "year":
                where.append("d.year = :f")
            params["f"] = value
        return " AND ".join(where)

    def search(self, query: Query, per_page=20):
        params = {}
        where = self._where(query, params)
        c = self.conn
        facets = {name: {} for name in FACETS}
        total = 0
        rows = c.execute(
            f"""
            WITH m AS MATERIALIZED (
                SELECT d.id, d.kind, d.type, d.municipality, d.year, d.language, d.community_id
                FROM fts JOIN docs d ON d.id = fts.rowid WHERE {where}
            )
            SELECT 'total', NULL, count(*) FROM m
            UNION ALL SELECT 'kind', kind, count(*) FROM m GROUP BY kind
            UNION ALL SELECT 'type', type, count(*) FROM m WHERE type IS NOT NULL GROUP BY type
            UNION ALL SELECT 'theme', t.theme, count(*) FROM m JOIN doc_themes t ON t.doc = m.id GROUP BY t.theme
            UNION ALL SELECT 'municipality', municipality, count(*) FROM m WHERE municipality IS NOT NULL GROUP BY municipality
            UNION ALL SELECT 'year', year, count(*) FROM m WHERE year IS NOT NULL GROUP BY year
            UNION ALL SELECT 'language', language, count(*) FROM m GROUP BY language
            UNION ALL SELECT 'community', community_id, count(*) FROM m WHERE community_id IS NOT NULL GROUP BY community_id
            """,
            params,
        ).fetchall()
        for facet, value, count in rows:
            if facet == "total":
                total = count
            elif value is not None:
                facets[facet][value] = count
        facets = {k: dict(sorted(v.items(), key=lambda item: (-item[1], str(item[0])))) for k, v in facets.items()}
        hits = []
        if total:
            top = c.execute(
                f"SELECT fts.rowid, bm25(fts, 3.0, 1.0) AS score FROM fts JOIN docs d ON d.id = fts.rowid "
                f"WHERE {where} ORDER BY score LIMIT {int(per_page)}",
                params,
            ).fetchall()
            if top:
                ids = ",".join(str(int(r[0])) for r in top)
                details = {
                    r[0]: r
                    for r in c.execute(
                        f"SELECT fts.rowid, snippet(fts, 1, '{START}', '{STOP}', ' … ', {SNIPPET_TOKENS}), d.key, d.title, d.url, d.community_id, d.updated_at "
                        f"FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH :match AND +fts.rowid IN ({ids})",
                        {"match": params["match"]},
                    )
                }
                for rowid, score in top:
                    r = details[rowid]
                    snippet = html.escape(r[1] or "", quote=False).replace(START, "<mark>").replace(STOP, "</mark>")
                    hits.append({"key": r[2], "title": r[3], "url": r[4], "community_id": r[5], "updated_at": r[6], "snippet": snippet, "score": -score})
        return {"total": total, "hits": hits, "facets": facets}
