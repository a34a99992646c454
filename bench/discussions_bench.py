"""Discussions benchmark: the thread page and the community home under 16 concurrent connections with
the production server (gunicorn's gevent worker; ``--server gthread`` or ``werkzeug`` for the others), next to a bare Flask route answering the same HTML from
memory in the same run; and Socket.IO fan-out: N clients in one thread's room, delivery time of a
post to each, in one process and across two processes through Redis.

    .venv/bin/python -m bench.discussions_bench [--posts 100] [--seconds 10] [--concurrency 16] [--clients 500] [--server gevent]

Method and results: BENCHMARKS.md ("Discussions"). Raw numbers: bench/results/discussions-<date>.json.
"""
import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PYTHON = sys.executable
SLICE_SECONDS = 2  # the page and the bare route alternate in slices of this length
REDIS_URL = os.environ.get("HUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


# --- the data ---------------------------------------------------------------------------------


def prepare(instance, database_url, posts):
    """A community with six members and a thread of ``posts`` posts (mentions, tags, reactions)."""
    env = {**os.environ, "HUB_INSTANCE_PATH": str(instance), "HUB_DATABASE_URL": database_url, "HUB_SECRET_KEY": "b" * 48}
    code = f"""
import random
from hub import create_app
from hub.extensions import db
from hub.accounts import service as accounts
from hub.communities import service as communities
from hub.communities.models import Membership
from hub.discussions import service
from hub.discussions.models import Reaction
app = create_app()
with app.test_request_context('/', base_url='http://127.0.0.1'):
    db.drop_all()
    db.create_all()
    people = [accounts.register(f'bench{{i}}@exemple.ca', 'mot de passe du banc', name, 'Ville')
              for i, name in enumerate(['Julie Roy', 'Karim Benali', 'Sophie Gagnon', 'Marc Tremblay', 'Isabelle Côté', 'Luc Pelletier'])]
    community = communities.create(people[0], 'CP Économie sociale municipale', 'Mission', 'Valeurs', 'private', slug='es-municipale')
    for person in people[1:]:
        db.session.add(Membership(community=community, user=person, role='member'))
    db.session.flush()
    thread, first = service.create_thread(community, people[0], 'Politique d’approvisionnement responsable', 'Qui a une **politique** ? #approvisionnement')
    rng = random.Random(1)
    for i in range({posts} - 1):
        author = people[i % len(people)]
        body = f"Réponse {{i}} : à {{rng.choice(['Laval', 'Lévis', 'Gatineau'])}}, les *clauses sociales* fonctionnent. @julie-roy #grille\\n\\n> citation d’un message précédent\\n\\n- un point\\n- un autre point"
        post = service.reply(thread, author, body)
        db.session.flush()
        for other in rng.sample(people, 2):
            db.session.add(Reaction(post_id=post.id, user_id=other.id, emoji='👍'))
    db.session.commit()
    print(thread.id, community.slug, people[1].id)
"""
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
    return int(out[-3]), out[-2], int(out[-1]), env


# --- HTTP -------------------------------------------------------------------------------------


def load(port, path, cookie, seconds, concurrency):
    """``concurrency`` keep-alive connections asking for ``path`` for ``seconds``: each answer's time, the time taken, errors."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
            except (OSError, http.client.HTTPException) as error:
                errors.append(repr(error))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "seconds": time.monotonic() - started, "errors": len(errors)}


def summary(slices):
    """Requests per second, p50 and p95 over load slices."""
    latencies = [value for part in slices for value in part["latencies"]]
    elapsed = sum(part["seconds"] for part in slices)
    return {
        "requests": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000, "errors": sum(part["errors"] for part in slices),
    }


SERVERS = {
    # The production server of the README: gunicorn's gevent worker (Socket.IO in gevent mode).
    "gevent": lambda port, workers, threads: [
        PYTHON, "-m", "gunicorn", "--worker-class", "gevent", "--workers", str(workers), "--worker-connections", "2000",
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.discussions_app:app"],
    # gunicorn's threaded worker (Socket.IO in threading mode, a thread per open page).
    "gthread": lambda port, workers, threads: [
        PYTHON, "-m", "gunicorn", "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.discussions_app:app"],
    # `make run`: `flask hub serve`, Werkzeug with a thread per connection, one process.
    "werkzeug": lambda port, workers, threads: [
        PYTHON, "-m", "flask", "--app", "bench.discussions_app", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
}


def http_bench(env, thread_id, slug, user_id, seconds, concurrency, workers, threads, server_kind):
    port = free_port()
    server = subprocess.Popen(SERVERS[server_kind](port, workers, threads), cwd=ROOT, env=env)
    try:
        wait_port(port, server)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/bench/login/{user_id}")
        response = conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        targets = {"thread": f"/threads/{thread_id}?page=1", "home": f"/c/{slug}"}
        for name, path in targets.items():  # capture the real HTML for the bare route
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            page = response.read()
            if response.getheader("Set-Cookie"):  # the session now holds its form token, as a browser would keep it
                cookie = response.getheader("Set-Cookie").split(";", 1)[0]
            (Path(env["HUB_INSTANCE_PATH"]) / f"bench-{name}.html").write_bytes(page)
        results = {}
        for name, path in targets.items():
            bare_path = f"/bench/bare/{name}"
            load(port, path, cookie, 2, concurrency)  # warm-up
            load(port, bare_path, cookie, 1, concurrency)
            # The page and its baseline take turns, in slices of 2 s, so that both see the same machine.
            real, bare = [], []
            for _ in range(max(1, round(seconds / SLICE_SECONDS))):
                real.append(load(port, path, cookie, SLICE_SECONDS, concurrency))
                bare.append(load(port, bare_path, cookie, SLICE_SECONDS, concurrency))
            real, bare = summary(real), summary(bare)
            results[name] = {"page": real, "bare": bare, "ratio": real["rps"] / bare["rps"] if bare["rps"] else float("nan")}
        return results
    finally:
        server.terminate()
        server.wait(20)


# --- Socket.IO fan-out ------------------------------------------------------------------------


def serve(env, port, redis, server_kind):
    """One server process (one worker) on ``port``."""
    server_env = {**env, "HUB_BASE_URL": f"http://127.0.0.1:{port}"}
    if redis:
        server_env["HUB_REDIS_URL"] = REDIS_URL
    process = subprocess.Popen(
        SERVERS[server_kind](port, 1, 1000), cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_port(port, process)
    return process


def fanout(env, thread_id, user_id, clients, ports, rounds=10, client_processes=2):
    """``clients`` Socket.IO clients spread over ``ports`` join the thread's room; a post is made through
    the first server ``rounds`` times (after one uncounted warm-up post); delivery time = receipt minus
    the moment the post was sent.

    The clients run in ``client_processes`` processes of bench/fanout_client.py (an asyncio loop each);
    every process reads the same clock, ``time.monotonic()`` (CLOCK_MONOTONIC, system-wide on Linux)."""
    import queue

    token_code = f"""
from hub import create_app
from hub.extensions import db
from hub.accounts.models import User, ApiToken
app = create_app()
with app.app_context():
    token, raw = ApiToken.issue(db.session.get(User, {user_id}), 'bench')
    db.session.commit()
    print(raw)
"""
    token = subprocess.run([PYTHON, "-c", token_code], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()[-1]
    lines = queue.Queue()
    fleet = []
    share, extra = divmod(clients, client_processes)
    first = 0
    for n in range(client_processes):
        count = share + (1 if n < extra else 0)
        child = subprocess.Popen([PYTHON, "-m", "bench.fanout_client"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        child.stdin.write(json.dumps({"ports": ports, "token": token, "room": f"thread:{thread_id}", "first": first, "count": count}) + "\n")
        child.stdin.flush()
        first += count
        threading.Thread(target=lambda c=child, n=n: [lines.put((n, line.strip())) for line in c.stdout], daemon=True).start()
        fleet.append(child)

    def expect(prefix, deadline):
        """Lines starting with ``prefix``, one per client process, until ``deadline``."""
        got = {}
        while len(got) < len(fleet):
            try:
                n, line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith(prefix):
                got[n] = line[len(prefix):]
        return got

    load_before = os.getloadavg()
    start = time.monotonic()
    try:
        ready = expect("ready ", start + 300)
        if len(ready) < len(fleet):
            raise RuntimeError("the clients did not all connect")
        connect_seconds = time.monotonic() - start
        time.sleep(1)
        rounds_out = []
        for r in range(-1, rounds):  # round -1 warms the server up (first templates, first queries): not counted
            body = json.dumps({"body": f"Diffusion {r}"}).encode()
            conn = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=60)
            sent = time.monotonic()
            conn.request("POST", f"/api/v1/threads/{thread_id}/posts", body=body,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            post_id = json.loads(response.read())["id"]
            answered = time.monotonic()
            expect(f"done {post_id}", sent + 30)  # every client process has it (or 30 s went by)
            if r >= 0:
                rounds_out.append({"post_id": post_id, "sent": sent, "post_ms": (answered - sent) * 1000})
            time.sleep(0.5)
        for child in fleet:
            child.stdin.write("quit\n")
            child.stdin.flush()
        reports = expect("{", time.monotonic() + 60)
    finally:
        for child in fleet:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
    receipts = {}
    lost = []
    for text in reports.values():
        report = json.loads("{" + text)
        lost.extend(report["lost"])
        for post_id, times in report["receipts"].items():
            receipts.setdefault(int(post_id), []).extend(times)
    all_delays, per_round = [], []
    for r in rounds_out:
        delays = sorted((t - r["sent"]) * 1000 for t in receipts.get(r["post_id"], []))
        all_delays.extend(delays)
        per_round.append({"post_id": r["post_id"], "post_ms": r["post_ms"], "received": len(delays),
                          "first_ms": delays[0] if delays else None, "p50_ms": percentile(delays, 0.5), "p95_ms": percentile(delays, 0.95),
                          "last_ms": delays[-1] if delays else None})
    return {
        "clients": clients, "processes": len(ports), "client_processes": client_processes, "connect_seconds": connect_seconds,
        "rounds": rounds, "delivered": len(all_delays), "expected": clients * rounds, "lost_connections": len(lost), "lost_examples": lost[:5],
        "p50_ms": percentile(all_delays, 0.5), "p95_ms": percentile(all_delays, 0.95), "max_ms": max(all_delays, default=float("nan")),
        "post_p50_ms": percentile([r["post_ms"] for r in rounds_out], 0.5), "per_round": per_round,
        "load_average_1_5_15": {"before": load_before, "after": os.getloadavg()},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16, help="gthread only")
    parser.add_argument("--server", choices=sorted(SERVERS), default="gevent")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own, emptied first (default: a new SQLite file)")
    parser.add_argument("--tag", default="", help="suffix of the results file name, e.g. -http")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hub-discussions-bench-"))
    instance = workdir / "instance"
    instance.mkdir()
    database_url = args.database_url or f"sqlite:///{workdir / 'hub.sqlite3'}"
    thread_id, slug, user_id, env = prepare(instance, database_url, args.posts)
    results = {"date": date.today().isoformat(), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
               "posts": args.posts, "database": database_url.split(":", 1)[0]}
    try:
        if not args.skip_http:
            results["http"] = http_bench(env, thread_id, slug, user_id, args.seconds, args.concurrency, args.workers, args.threads, args.server)
            shape = f"{args.workers} workers × {args.threads} threads" if args.server == "gthread" else f"{args.workers} workers"
            results["http_server"] = f"{args.server}, {shape}; {args.concurrency} client connections"
        if not args.skip_fanout:
            one = free_port()
            results["fanout_server"] = f"{args.server}, one worker per process"
            process = serve(env, one, redis=False, server_kind=args.server)
            try:
                results["fanout_one_process"] = fanout(env, thread_id, user_id, args.clients, [one])
            finally:
                process.terminate()
                process.wait(20)
            ports = [free_port(), free_port()]
            processes = [serve(env, p, redis=True, server_kind=args.server) for p in ports]
            try:
                results["fanout_two_processes_redis"] = fanout(env, thread_id, user_id, args.clients, ports)
            finally:
                for p in processes:
                    p.terminate()
                for p in processes:
                    p.wait(20)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"discussions-{results['date']}{args.tag}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
