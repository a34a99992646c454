"""Search benchmark: indexing throughput, index size, memory and query latency of the hub's search
backends (Whoosh, PostgreSQL) against a SQLite FTS5 baseline, on the same synthetic French corpus.

    .venv/bin/python -m bench.search_bench --docs 10000 [--backends whoosh,postgres,fts5] [--queries 200] [--seed 1]

How it runs (method and results: BENCHMARKS.md):
1. One subprocess per backend indexes the corpus (batches of --batch documents, one upsert call per
   batch; generating the documents is not timed), measures its size on disk and the process's peak
   RSS, then runs every query once (the "first pass": a fresh process, the OS cache warm).
2. One more subprocess opens every backend and runs the queries interleaved (query i on each
   backend in turn, the order rotated), a warm-up pass first, then the measured pass(es): machine
   noise falls on every backend alike, so the ratios to FTS5 are fair even when absolute times drift.
3. A Markdown table goes to stdout; raw results (every latency) to bench/results/search-<docs>-<date>.json.

PostgreSQL: a scratch database (--pg-db, default hub_bench) is created on the server of --pg-url and
dropped at the end; only the client process's memory is counted in RSS (the server's is not).
"""
import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_PG_URL = os.environ.get("HUB_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ALL_BACKENDS = ("whoosh", "postgres", "fts5")


# --- small helpers -----------------------------------------------------------------------


def rss_kb():
    """Current resident set size of this process (kB)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def proc_vmhwm_kb(pid):
    """Peak RSS of another process (a PostgreSQL server backend), when readable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def dir_size(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def percentiles(values):
    if not values:
        return {}
    ordered = sorted(values)
    if len(ordered) == 1:
        v = ordered[0]
        return {"p50": v, "p95": v, "p99": v, "mean": v, "max": v, "n": 1}
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "mean": statistics.fmean(ordered), "max": ordered[-1], "n": len(ordered)}


def psycopg_url(url):
    import re

    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", url)


def scratch_url(admin_url, name):
    import sqlalchemy as sa

    return sa.engine.make_url(psycopg_url(admin_url)).set(database=name).render_as_string(hide_password=False)


def pg_admin(admin_url, statement):
    import sqlalchemy as sa

    engine = sa.create_engine(psycopg_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def to_search_document(doc):
    from hub.search.base import SearchDocument

    return SearchDocument(
        kind="resource", id=doc.id, community_id=doc.community_id, readers=doc.readers, title=doc.title, body=doc.body,
        url=f"/resources/{doc.id}", language=doc.language, updated_at=doc.updated_at, type=doc.type,
        themes=list(doc.themes), municipality=doc.municipality, year=doc.year,
    )


# --- opening a backend -------------------------------------------------------------------


class Opened:
    """A backend ready to index and search, with what it needs around it (app context, paths)."""

    def __init__(self, name, workdir, pg_url=None):
        self.name = name
        self.workdir = Path(workdir)
        self._ctx = None
        if name == "whoosh":
            from hub.search.whoosh_backend import WhooshBackend

            self.path = self.workdir / "whoosh-index"
            self.backend = WhooshBackend(self.path)
        elif name == "postgres":
            from hub import create_app
            from hub.extensions import db
            from hub.search.postgres_backend import PostgresBackend
            from tests.conftest import make_config

            app = create_app(make_config(self.workdir / "pg-app", pg_url, SEARCH_BACKEND="postgres"))
            self._ctx = app.app_context()
            self._ctx.push()
            db.create_all()
            self.db = db
            self.backend = PostgresBackend()
        elif name == "fts5":
            from .fts5 import Fts5Baseline

            self.path = self.workdir / "fts5.sqlite3"
            self.backend = Fts5Baseline(self.path)
        else:
            raise SystemExit(f"unknown backend {name!r}; choose among {', '.join(ALL_BACKENDS)}")

    def search(self, query):
        """(total, hits) for a corpus.Query, through the backend's own search()."""
        if self.name == "fts5":
            found = self.backend.search(query, per_page=20)
            return found["total"], len(found["hits"])
        from hub.search.base import SearchQuery

        found = self.backend.search(SearchQuery(text=query.text, principals=frozenset(query.principals), sort="relevance", page=1, per_page=20))
        return found.total, len(found.hits)

    def size(self):
        if self.name == "whoosh":
            return {"bytes": dir_size(self.path), "segments": len(list(self.path.glob("*.seg")))}
        if self.name == "fts5":
            return {"bytes": self.backend.size_bytes()}
        import sqlalchemy as sa

        with self.db.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT pg_total_relation_size('search_documents'), pg_relation_size('search_documents'), "
                "pg_indexes_size('search_documents'), pg_total_relation_size('search_terms'), "
                "(SELECT count(*) FROM search_terms)"
            )).one()
        return {
            "bytes": int(row[0]), "table_bytes": int(row[1]), "indexes_bytes": int(row[2]),
            "toast_bytes": int(row[0]) - int(row[1]) - int(row[2]),
            "search_terms_bytes": int(row[3]), "search_terms_rows": int(row[4]),
        }

    def server_pid(self):
        if self.name != "postgres":
            return None
        import sqlalchemy as sa

        with self.db.engine.connect() as conn:
            return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()

    def close(self):
        if self.name == "fts5":
            self.backend.close()
        if self._ctx is not None:
            self.db.session.remove()
            self.db.engine.dispose()
            self._ctx.pop()


# --- phase 1: index (one process per backend) -------------------------------------------


def phase_index(args):
    from .corpus import make_document, make_queries

    start_rss = rss_kb()
    opened = Opened(args.backend, args.workdir, args.pg_url)
    opened_rss = rss_kb()
    upsert_s = generate_s = 0.0
    text_bytes = 0
    batch_seconds = []
    wall = time.perf_counter()
    for first in range(1, args.docs + 1, args.batch):
        t0 = time.perf_counter()
        docs = [make_document(args.seed, n) for n in range(first, min(first + args.batch, args.docs + 1))]
        search_docs = [to_search_document(d) for d in docs]
        t1 = time.perf_counter()
        opened.backend.upsert(search_docs)
        t2 = time.perf_counter()
        generate_s += t1 - t0
        upsert_s += t2 - t1
        batch_seconds.append(t2 - t1)
        text_bytes += sum(d.text_bytes for d in docs)
        done = first - 1 + len(docs)
        print(f"[{args.backend}] {done}/{args.docs} docs, {done / upsert_s:.1f} docs/s (upsert time only), "
              f"last batch {t2 - t1:.2f} s, wall {time.perf_counter() - wall:.0f} s, RSS {rss_kb() // 1024} MB", file=sys.stderr, flush=True)
    result = {
        "backend": args.backend,
        "docs": args.docs,
        "batch": args.batch,
        "upsert_seconds": upsert_s,
        "generate_seconds": generate_s,
        "wall_seconds": time.perf_counter() - wall,
        "text_mb": text_bytes / 1e6,
        "docs_per_s": args.docs / upsert_s,
        "mb_per_s": text_bytes / 1e6 / upsert_s,
        "batch_seconds": batch_seconds,
        "rss_start_kb": start_rss,
        "rss_opened_kb": opened_rss,
    }
    if args.backend == "postgres":
        import sqlalchemy as sa

        t = time.perf_counter()
        with opened.db.engine.begin() as conn:  # what autovacuum would do soon after a bulk load
            conn.execute(sa.text("ANALYZE search_documents"))
            conn.execute(sa.text("ANALYZE search_terms"))
        result["analyze_seconds"] = time.perf_counter() - t
        pid = opened.server_pid()
        result["server_backend_pid_vmhwm_kb"] = proc_vmhwm_kb(pid)
    if args.backend == "fts5":
        opened.backend.finish()
    result["size"] = opened.size()
    result["peak_rss_after_index_kb"] = peak_rss_kb()
    # The first pass: each query once in this fresh process (not the measured pass).
    queries = make_queries(args.seed, args.queries)
    first_pass = []
    for q in queries:
        t = time.perf_counter()
        total, _hits = opened.search(q)
        first_pass.append({"ms": (time.perf_counter() - t) * 1000, "total": total})
    result["first_pass_ms"] = [r["ms"] for r in first_pass]
    result["first_pass"] = percentiles(result["first_pass_ms"])
    result["peak_rss_after_queries_kb"] = peak_rss_kb()
    opened.close()
    Path(args.out).write_text(json.dumps(result))


# --- phase 2: query (every backend in one process, interleaved) --------------------------


def phase_query(args):
    from .corpus import make_queries

    names = args.backends.split(",")
    queries = make_queries(args.seed, args.queries)
    opened, first_query_ms = {}, {}
    for name in names:
        t = time.perf_counter()
        opened[name] = Opened(name, args.workdir, args.pg_url)
        opened[name].search(queries[0])  # opening the index and the first query, cold in this process
        first_query_ms[name] = (time.perf_counter() - t) * 1000

    def one_pass(record):
        for i, q in enumerate(queries):
            order = names[i % len(names):] + names[:i % len(names)]
            for name in order:
                t = time.perf_counter()
                total, hits = opened[name].search(q)
                record[name].append({"ms": (time.perf_counter() - t) * 1000, "total": total, "hits": hits})

    warm = {name: [] for name in names}
    load_before = os.getloadavg()
    one_pass(warm)
    measured = {name: [] for name in names}
    for _ in range(args.repeat):
        one_pass(measured)
    load_after = os.getloadavg()
    result = {"first_query_ms": first_query_ms, "warmup": warm, "measured": measured, "loadavg_before": load_before, "loadavg_after": load_after}
    if args.profile:
        result["profiles"] = {}
        for name in args.profile.split(","):
            profiler = cProfile.Profile()
            profiler.enable()
            for q in queries:
                opened[name].search(q)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            result["profiles"][name] = out.getvalue()
    for o in opened.values():
        o.close()
    Path(args.out).write_text(json.dumps(result))


# --- the report --------------------------------------------------------------------------


def versions(pg_url, backends):
    info = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/meminfo") as f:
            info["mem_total_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import whoosh

        info["whoosh"] = whoosh.versionstring()
    except ImportError:
        pass
    if "postgres" in backends:
        import sqlalchemy as sa

        engine = sa.create_engine(psycopg_url(pg_url))
        try:
            with engine.connect() as conn:
                info["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar_one()
                info["postgresql_shared_buffers"] = conn.execute(sa.text("SHOW shared_buffers")).scalar_one()
                info["postgresql_work_mem"] = conn.execute(sa.text("SHOW work_mem")).scalar_one()
        finally:
            engine.dispose()
    return info


def summarize(index_results, query_result, queries):
    summary = {}
    for name, runs in query_result["measured"].items():
        ms = [r["ms"] for r in runs]
        by_cat = {}
        for q, r in zip(queries * (len(runs) // len(queries)), runs):
            by_cat.setdefault(q.category, []).append(r)
        summary[name] = {
            "latency_ms": percentiles(ms),
            "warmup_latency_ms": percentiles([r["ms"] for r in query_result["warmup"][name]]),
            "first_query_ms": query_result["first_query_ms"][name],
            "mean_total": statistics.fmean(r["total"] for r in runs),
            "zero_results": sum(1 for r in runs if r["total"] == 0),
            "by_category": {
                cat: {**percentiles([r["ms"] for r in rs]), "mean_total": statistics.fmean(r["total"] for r in rs)}
                for cat, rs in sorted(by_cat.items())
            },
        }
        if name in index_results:
            summary[name]["index"] = {k: v for k, v in index_results[name].items() if k not in ("batch_seconds", "first_pass_ms")}
    base = summary.get("fts5", {}).get("latency_ms", {}).get("p95")
    ratios = {}
    if base:
        for name in summary:
            if name != "fts5":
                ratios[f"{name}_p95_over_fts5_p95"] = summary[name]["latency_ms"]["p95"] / base
    return summary, ratios


def markdown(docs, summary, ratios, meta):
    lines = [f"### {docs:,} documents ({meta['text_mb']:.0f} MB of text), {meta['queries']} queries × {meta['repeat']} measured pass(es), seed {meta['seed']}", ""]
    lines.append("| backend | index docs/s | index MB/s | index size | peak RSS (indexing) | peak RSS (+1 query pass) | p50 ms | p95 ms | p99 ms | mean ms | first query ms | mean total |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in summary.items():
        ix = s.get("index", {})
        lat = s["latency_ms"]
        size = ix.get("size", {}).get("bytes")
        lines.append(
            f"| {name} | {ix.get('docs_per_s', 0):.0f} | {ix.get('mb_per_s', 0):.2f} | "
            f"{size / 1e6:.0f} MB | {ix.get('peak_rss_after_index_kb', 0) / 1024:.0f} MB | {ix.get('peak_rss_after_queries_kb', 0) / 1024:.0f} MB | "
            f"{lat['p50']:.1f} | {lat['p95']:.1f} | {lat['p99']:.1f} | {lat['mean']:.1f} | {s['first_query_ms']:.0f} | {s['mean_total']:.0f} |"
            if size is not None else
            f"| {name} | – | – | – | – | – | {lat['p50']:.1f} | {lat['p95']:.1f} | {lat['p99']:.1f} | {lat['mean']:.1f} | {s['first_query_ms']:.0f} | {s['mean_total']:.0f} |"
        )
    lines.append("")
    if ratios:
        lines.append("Ratios (same run, interleaved): " + ", ".join(f"{k.replace('_p95_over_fts5_p95', '')} p95 / FTS5 p95 = **{v:.1f}×**" for k, v in ratios.items()))
        lines.append("")
    cats = sorted({c for s in summary.values() for c in s["by_category"]})
    lines.append("p95 ms by query kind (mean total matches in brackets):")
    lines.append("")
    lines.append("| backend | " + " | ".join(cats) + " |")
    lines.append("|---|" + "---:|" * len(cats))
    for name, s in summary.items():
        cells = [f"{s['by_category'][c]['p95']:.1f} ({s['by_category'][c]['mean_total']:.0f})" if c in s["by_category"] else "–" for c in cats]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def run_child(args, phase, out, backend=None, backends=None, profile=None):
    cmd = [sys.executable, "-m", "bench.search_bench", "--phase", phase, "--docs", str(args.docs), "--queries", str(args.queries),
           "--seed", str(args.seed), "--batch", str(args.batch), "--repeat", str(args.repeat), "--workdir", str(args.workdir),
           "--pg-url", args.child_pg_url or "", "--out", str(out)]
    if backend:
        cmd += ["--backend", backend]
    if backends:
        cmd += ["--backends", backends]
    if profile:
        cmd += ["--profile", profile]
    subprocess.run(cmd, cwd=ROOT, check=True)
    return json.loads(Path(out).read_text())


def orchestrate(args):
    from .corpus import make_queries

    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    for name in names:
        if name not in ALL_BACKENDS:
            raise SystemExit(f"unknown backend {name!r}; choose among {', '.join(ALL_BACKENDS)}")
    args.workdir = Path(args.workdir or f"/tmp/hub-search-bench-{args.docs}")
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True)
    args.child_pg_url = None
    if "postgres" in names:
        pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{args.pg_db}" WITH (FORCE)')
        pg_admin(args.pg_url, f'CREATE DATABASE "{args.pg_db}"')
        args.child_pg_url = scratch_url(args.pg_url, args.pg_db)
    started = datetime.now(timezone.utc)
    try:
        meta = {"started": started.isoformat(), "docs": args.docs, "queries": args.queries, "seed": args.seed, "batch": args.batch,
                "repeat": args.repeat, "backends": names, "versions": versions(args.pg_url, names), "loadavg_start": os.getloadavg()}
        index_results = {}
        for name in names:
            print(f"== indexing {args.docs} documents into {name}", file=sys.stderr, flush=True)
            index_results[name] = run_child(args, "index", args.workdir / f"index-{name}.json", backend=name)
        print(f"== querying ({args.queries} queries, interleaved)", file=sys.stderr, flush=True)
        query_result = run_child(args, "query", args.workdir / "query.json", backends=",".join(names), profile=args.profile)
        meta["loadavg_end"] = os.getloadavg()
        meta["finished"] = datetime.now(timezone.utc).isoformat()
        meta["text_mb"] = next(iter(index_results.values()))["text_mb"]
        queries = make_queries(args.seed, args.queries)
        summary, ratios = summarize(index_results, query_result, queries)
        table = markdown(args.docs, summary, ratios, meta)
        print(table)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"search-{args.docs}-{date.today().isoformat()}.json"
        raw = {
            "meta": meta,
            "summary": summary,
            "ratios": ratios,
            "markdown": table,
            "index": index_results,
            "queries": [{"category": q.category, "text": q.text, "fts5": " ".join(q.words), "filter": q.filter, "principals": list(q.principals)} for q in queries],
            "latencies": {name: {"warmup": query_result["warmup"][name], "measured": query_result["measured"][name]} for name in names},
            "loadavg_query_phase": [query_result["loadavg_before"], query_result["loadavg_after"]],
        }
        out.write_text(json.dumps(raw, indent=1, ensure_ascii=False))
        print(f"raw results: {out.relative_to(ROOT)}", file=sys.stderr)
        if query_result.get("profiles"):
            for name, text in query_result["profiles"].items():
                path = RESULTS_DIR / f"profile-{name}-{args.docs}-{date.today().isoformat()}.txt"
                path.write_text(text)
                print(f"profile: {path.relative_to(ROOT)}", file=sys.stderr)
    finally:
        if not args.keep:
            if "postgres" in names:
                pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{args.pg_db}" WITH (FORCE)')
            shutil.rmtree(args.workdir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.search_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--backends", default=",".join(ALL_BACKENDS), help="comma-separated: whoosh,postgres,fts5")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500, help="documents per upsert call")
    parser.add_argument("--repeat", type=int, default=1, help="measured passes over the queries (after one warm-up pass)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a PostgreSQL server (any database on it) where the scratch database is created")
    parser.add_argument("--pg-db", default="hub_bench", help="the scratch database: dropped and created at the start, dropped at the end")
    parser.add_argument("--workdir", default=None, help="scratch directory for indexes (default /tmp/hub-search-bench-<docs>; emptied first)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and directory")
    parser.add_argument("--profile", default=None, help="comma-separated backends to profile (cProfile) over one extra query pass")
    parser.add_argument("--phase", choices=("index", "query"), help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "index":
        phase_index(args)
    elif args.phase == "query":
        phase_query(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
