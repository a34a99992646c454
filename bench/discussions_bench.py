"""Discussions benchmark: the thread page and the community home under 16 concurrent connections with
the production server (gunicorn, gthread), next to a bare Flask route answering the same HTML from
memory in the same run; and Socket.IO fan-out: N clients in one thread's room, delivery time of a
post to each, in one process and across two processes through Redis.

    .venv/bin/python -m bench.discussions_bench [--posts 100] [--seconds 10] [--concurrency 16] [--clients 500]

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
    """``concurrency`` keep-alive connections asking for ``path`` for ``seconds``: (requests/s, p50, p95 ms)."""
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
    elapsed = time.monotonic() - started
    return {
        "requests": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000, "errors": len(errors),
    }


def http_bench(env, thread_id, slug, user_id, seconds, concurrency, workers, threads):
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.discussions_app:app"],
        cwd=ROOT, env=env,
    )
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
            page = conn.getresponse().read()
            (Path(env["HUB_INSTANCE_PATH"]) / f"bench-{name}.html").write_bytes(page)
        results = {}
        for name, path in targets.items():
            load(port, path, cookie, 2, concurrency)  # warm-up
            real = load(port, path, cookie, seconds, concurrency)
            bare = load(port, f"/bench/bare/{name}", cookie, seconds, concurrency)
            results[name] = {"page": real, "bare": bare, "ratio": real["rps"] / bare["rps"] if bare["rps"] else float("nan")}
        return results
    finally:
        server.terminate()
        server.wait(20)


# --- Socket.IO fan-out ------------------------------------------------------------------------


def serve(env, port, redis):
    server_env = {**env, "HUB_BASE_URL": f"http://127.0.0.1:{port}"}
    if redis:
        server_env["HUB_REDIS_URL"] = REDIS_URL
    process = subprocess.Popen(
        [PYTHON, "-m", "flask", "--app", "bench.discussions_app", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_port(port, process)
    return process


def fanout(env, thread_id, user_id, clients, ports, rounds=5):
    """``clients`` Socket.IO clients spread over ``ports`` join the thread's room; a post is made through
    the first server ``rounds`` times; delivery time = receipt minus the moment the post was sent."""
    import socketio

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
    received = {}
    lock = threading.Lock()
    connected = []

    def make(i):
        sio = socketio.Client(reconnection=False)

        @sio.on("post.new")
        def _new(data, i=i):
            with lock:
                received.setdefault(data["post_id"], []).append(time.perf_counter())

        sio.connect(f"http://127.0.0.1:{ports[i % len(ports)]}", auth={"token": token}, transports=["websocket"], wait_timeout=30)
        answer = sio.call("join", {"room": f"thread:{thread_id}"}, timeout=30)
        assert answer and answer.get("ok"), answer
        connected.append(sio)

    from concurrent.futures import ThreadPoolExecutor

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(make, range(clients)))
    connect_seconds = time.monotonic() - start
    delays = []
    try:
        for r in range(rounds):
            body = json.dumps({"body": f"Diffusion {r}"}).encode()
            conn = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=60)
            sent = time.perf_counter()
            conn.request("POST", f"/api/v1/threads/{thread_id}/posts", body=body,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            post_id = json.loads(response.read())["id"]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with lock:
                    if len(received.get(post_id, [])) >= clients:
                        break
                time.sleep(0.01)
            got = received.get(post_id, [])
            delays.append({"post_id": post_id, "received": len(got), "delays_ms": [(t - sent) * 1000 for t in got]})
            time.sleep(0.5)
    finally:
        def close(sio):
            try:
                sio.disconnect()
            except Exception:
                pass

        with ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(close, list(connected)))
    all_delays = [d for r in delays for d in r["delays_ms"]]
    return {
        "clients": clients, "processes": len(ports), "connect_seconds": connect_seconds, "rounds": rounds,
        "delivered": sum(r["received"] for r in delays), "expected": clients * rounds,
        "p50_ms": percentile(all_delays, 0.5), "p95_ms": percentile(all_delays, 0.95), "max_ms": max(all_delays, default=float("nan")),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--tag", default="", help="suffix of the results file name, e.g. -http")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hub-discussions-bench-"))
    instance = workdir / "instance"
    instance.mkdir()
    database_url = f"sqlite:///{workdir / 'hub.sqlite3'}"
    thread_id, slug, user_id, env = prepare(instance, database_url, args.posts)
    results = {"date": date.today().isoformat(), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
               "posts": args.posts, "database": "sqlite"}
    try:
        if not args.skip_http:
            results["http"] = http_bench(env, thread_id, slug, user_id, args.seconds, args.concurrency, args.workers, args.threads)
            results["http_server"] = f"gunicorn gthread, {args.workers} workers × {args.threads} threads; {args.concurrency} client connections"
        if not args.skip_fanout:
            one = free_port()
            process = serve(env, one, redis=False)
            try:
                results["fanout_one_process"] = fanout(env, thread_id, user_id, args.clients, [one])
            finally:
                process.terminate()
                process.wait(20)
            ports = [free_port(), free_port()]
            processes = [serve(env, p, redis=True) for p in ports]
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
