"""Soak benchmark: the production layout under a steady mixed load for a long time.

gunicorn (gevent worker) with PostgreSQL and the PostgreSQL search backend, Redis (Socket.IO and rate
limits), the web processes configured ``HUB_WORKER=external`` and one ``flask hub worker`` process
sending email to a local SMTP sink. The load is open-loop: requests are issued at a fixed rate
whatever the answers' speed (a slow answer does not slow the next request down), by a pool of
keep-alive connections, in this mix:

    reads  (90 %): thread page 30, community home 20, search 20, resource list 20
    writes (10 %): new post 5, new note 3, poll answer 2

A request that cannot start within MAX_LATE seconds of its time (every connection busy) is counted as
dropped instead of sent. It reports errors, dropped requests, the CPU time of the web processes and of the worker, latency percentiles (overall and per kind), the resident memory of the web
processes after the warm-up and at the end (and each minute), and the email and search outbox
backlogs at the end of the load and how long the worker took to drain them.

    .venv/bin/python -m bench.soak [--minutes 20] [--rate 50] [--database-url postgresql://postgres@127.0.0.1:5432/hub_soak]

Method and results: BENCHMARKS.md ("Soak"). Raw numbers: bench/results/soak-<date>.json.
"""
import argparse
import http.client
import io
import json
import os
import platform
import queue
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PYTHON = sys.executable
PASSWORD = "mot de passe du banc d'essai"
MIX = [("thread", 30), ("home", 20), ("search", 20), ("resources", 20), ("post", 5), ("note", 3), ("answer", 2)]
WORDS = ["approvisionnement", "économie sociale", "coopérative", "habitation", "parcs", "clauses sociales",
         "matières résiduelles", "itinérance", "programme de financement", "règlement municipal"]
# A request that could not start within this many seconds of its time (every connection busy) is not
# sent but counted as dropped, so that a server slower than the rate does not pile up an endless queue.
MAX_LATE = 10.0
CITIES = ["Gatineau", "Montréal", "Lévis", "Laval", "Sherbrooke", "Québec"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, process, timeout=120):
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
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def rss_kib(pid):
    """Resident memory of one process (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User and system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """Pids of a process's children (gunicorn's workers under its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


# --- set-up -----------------------------------------------------------------------------------


def fresh_database(url):
    """Empty ``url``'s database (drop and create it) through the server's ``postgres`` database."""
    parts = sa.engine.make_url(re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", url))
    admin = sa.create_engine(parts.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parts.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parts.database}"'))
    admin.dispose()
    return parts.render_as_string(hide_password=False)


PREPARE = """
import json
from hub import create_app
from hub.extensions import db
from hub.accounts import service as accounts
from hub.accounts.models import ApiToken
from hub.communities import service as communities
from hub.communities.models import Membership
app = create_app()
with app.test_request_context('/', base_url=app.config['BASE_URL']):
    names = ['Julie Roy', 'Karim Benali', 'Sophie Gagnon', 'Marc Tremblay', 'Isabelle Côté', 'François Bergeron']
    people = [accounts.register(f'soak{i}@exemple.ca', PASSWORD, name, 'Ville') for i, name in enumerate(names)]
    community = communities.create(people[0], 'CP Économie sociale municipale', 'Mission', 'Valeurs', 'private', slug='es-municipale')
    for person in people[1:]:
        db.session.add(Membership(community=community, user=person, role='member'))
    db.session.flush()
    tokens = [ApiToken.issue(person, 'soak')[1] for person in people]
    db.session.commit()
    print(json.dumps({'slug': community.slug, 'emails': [p.email for p in people], 'tokens': tokens}))
"""


class Sink:
    """The SMTP server the worker sends to: counts what it receives."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 Message accepted for delivery"


def api(port, method, path, token, body=None, files=None):
    import requests

    url = f"http://127.0.0.1:{port}/api/v1{path}"
    headers = {"Authorization": f"Bearer {token}"}
    if files is not None:
        response = requests.request(method, url, headers=headers, data=body, files=files, timeout=60)
    else:
        response = requests.request(method, url, headers=headers, json=body, timeout=60)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json()


def login(port, email):
    """A browser's session: the login form with its CSRF token, then the session cookie."""
    import requests

    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = session.post(f"http://127.0.0.1:{port}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"login of {email}: {answer.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def content(port, data):
    """Threads with replies, resources with text files, an availability poll: what the load reads and answers."""
    slug, tokens = data["slug"], data["tokens"]
    rng = random.Random(7)
    threads = []
    for n, title in enumerate(["Politique d'approvisionnement responsable", "Gestion des parcs", "Habitation et règlements municipaux",
                               "Matières résiduelles", "Programmes de financement"]):
        thread = api(port, "POST", f"/communities/{slug}/threads", tokens[n % 6],
                     {"title": title, "body": f"Qui a de l'expérience avec **{title.lower()}** ? #chantier"})
        threads.append(thread["id"])
        for i in range(20):
            api(port, "POST", f"/threads/{thread['id']}/posts", tokens[(n + i + 1) % 6],
                {"body": f"À {rng.choice(CITIES)}, les clauses sociales fonctionnent ({i}). #grille"})
    for i in range(12):
        text = f"Fiche {i} : économie sociale, {rng.choice(WORDS)} et {rng.choice(WORDS)} à {rng.choice(CITIES)}.\n" * 40
        api(port, "POST", f"/communities/{slug}/resources", tokens[i % 6],
            body={"title": f"Fiche {i} : {rng.choice(WORDS)}", "type": "good_practice", "language": "fr"},
            files={"file": (f"fiche-{i}.txt", io.BytesIO(text.encode()), "text/plain")})
    day = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    polls = {}
    for n, month in enumerate(["janvier", "février", "mars"]):
        poll = api(port, "POST", f"/communities/{slug}/polls", tokens[n], {
            "title": f"Rencontre de {month}", "duration_minutes": 60, "timezone": "America/Toronto",
            "slots": [f"{(day + timedelta(days=7 * n + d)).isoformat()}T{h:02d}:00" for d in range(3) for h in (9, 14)],
        })
        polls[poll["id"]] = [s["id"] for s in poll["slots"]]
    return threads, polls


# --- the load ---------------------------------------------------------------------------------


class Load:
    """Requests issued at ``rate`` per second by ``connections`` keep-alive connections."""

    def __init__(self, port, data, threads, polls, cookies, connections):
        self.port, self.data, self.threads, self.polls = port, data, threads, polls
        self.cookies = cookies
        self.connections = connections
        self.queue = queue.Queue()
        self.lock = threading.Lock()
        self.results = []  # (kind, seconds, ok, late seconds)
        self.errors = []
        self.dropped = {}  # kind -> requests not sent because they were MAX_LATE behind their time
        self.rng = random.Random(11)
        self.kinds = [kind for kind, weight in MIX for _ in range(weight)]
        self.counter = 0
        self.workers = [threading.Thread(target=self._work, daemon=True) for _ in range(connections)]
        for worker in self.workers:
            worker.start()

    def request_for(self, kind, rng):
        slug, tokens = self.data["slug"], self.data["tokens"]
        who = rng.randrange(6)
        self.counter += 1
        if kind == "thread":
            return "GET", f"/threads/{rng.choice(self.threads)}", None, {"Cookie": self.cookies[who]}, 200
        if kind == "home":
            return "GET", f"/c/{slug}", None, {"Cookie": self.cookies[who]}, 200
        if kind == "search":
            return "GET", "/search?" + urlencode({"q": rng.choice(WORDS)}), None, {"Cookie": self.cookies[who]}, 200
        if kind == "resources":
            return "GET", f"/c/{slug}/resources", None, {"Cookie": self.cookies[who]}, 200
        auth = {"Authorization": f"Bearer {tokens[who]}", "Content-Type": "application/json"}
        if kind == "post":
            body = {"body": f"Retour {self.counter} de {rng.choice(CITIES)} sur les {rng.choice(WORDS)}. #suivi"}
            return "POST", f"/api/v1/threads/{rng.choice(self.threads)}/posts", body, auth, 201
        if kind == "note":
            body = {"title": f"Compte rendu {self.counter}", "body": f"# Notes\n\n- {rng.choice(WORDS)}\n- {rng.choice(WORDS)}\n",
                    "visibility": rng.choice(["private", "community"])}
            return "POST", f"/api/v1/communities/{slug}/notes", body, auth, 201
        poll_id = rng.choice(sorted(self.polls))
        answers = {str(slot): rng.choice(["yes", "ifneedbe", "no"]) for slot in self.polls[poll_id]}
        return "PUT", f"/api/v1/polls/{poll_id}/answers", {"answers": answers}, auth, 200

    def _work(self):
        conn = None
        while True:
            item = self.queue.get()
            if item is None:
                self.queue.task_done()
                return
            due, kind, (method, path, body, headers, expected), record = item
            started = time.monotonic()
            if started - due > MAX_LATE:  # the server fell behind: not sent, counted
                if record:
                    with self.lock:
                        self.dropped[kind] = self.dropped.get(kind, 0) + 1
                self.queue.task_done()
                continue
            ok, detail = True, None
            for attempt in (1, 2):
                reused = conn is not None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status != expected:
                        ok, detail = False, f"{kind} {method} {path}: {response.status}"
                    break
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                    # A kept-alive connection the server closed as it was reused (its keep-alive time
                    # ran out): a read is sent again once on a new connection, as browsers do. A
                    # write is not, and a new connection that fails is an error either way.
                    conn.close()
                    conn = None
                    if not (reused and method == "GET" and attempt == 1):
                        ok, detail = False, f"{kind} {method} {path}: {error!r}"
                        break
                except (OSError, http.client.HTTPException) as error:
                    ok, detail = False, f"{kind} {method} {path}: {error!r}"
                    conn.close()
                    conn = None
                    break
            elapsed = time.monotonic() - started
            if record:
                with self.lock:
                    self.results.append((kind, elapsed, ok, started - due))
                    if not ok:
                        self.errors.append(detail)
            self.queue.task_done()

    def run(self, seconds, rate, record=True):
        """Issue ``rate`` requests per second for ``seconds``; returns when the last one was issued."""
        start = time.monotonic()
        total = int(seconds * rate)
        for n in range(total):
            due = start + n / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            kind = self.rng.choice(self.kinds)
            self.queue.put((due, kind, self.request_for(kind, self.rng), record))
        return time.monotonic() - start

    def finish(self, timeout=300):
        """Wait for every issued request to be answered (or ``timeout`` s), then stop the connections."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in self.workers:
            self.queue.put(None)
        for worker in self.workers:
            worker.join(max(1, deadline - time.monotonic()))


def backlog(engine):
    with engine.connect() as conn:
        emails = conn.execute(sa.text("SELECT count(*) FROM outgoing_emails WHERE sent_at IS NULL AND attempts < 8")).scalar_one()
        failed = conn.execute(sa.text("SELECT count(*) FROM outgoing_emails WHERE sent_at IS NULL AND attempts >= 8")).scalar_one()
        sent = conn.execute(sa.text("SELECT count(*) FROM outgoing_emails WHERE sent_at IS NOT NULL")).scalar_one()
        index = conn.execute(sa.text("SELECT count(*) FROM search_outbox")).scalar_one()
    return {"emails_pending": emails, "emails_failed": failed, "emails_sent": sent, "search_outbox": index}


def summarize(results, seconds):
    latencies = [r[1] for r in results]
    out = {
        "requests": len(results), "rate": len(results) / seconds if seconds else 0, "errors": sum(1 for r in results if not r[2]),
        "p50_ms": percentile(latencies, 0.5) * 1000, "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000, "max_ms": max(latencies, default=float("nan")) * 1000,
        "issued_late_over_100ms": sum(1 for r in results if r[3] > 0.1),
        "by_kind": {},
    }
    for kind, _weight in MIX:
        mine = [r[1] for r in results if r[0] == kind]
        out["by_kind"][kind] = {"requests": len(mine), "errors": sum(1 for r in results if r[0] == kind and not r[2]),
                                "p50_ms": percentile(mine, 0.5) * 1000, "p95_ms": percentile(mine, 0.95) * 1000,
                                "p99_ms": percentile(mine, 0.99) * 1000}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--rate", type=float, default=50, help="requests per second")
    parser.add_argument("--warmup", type=float, default=60, help="seconds of load before the first memory reading")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--connections", type=int, default=16, help="client keep-alive connections")
    parser.add_argument("--database-url", default=os.environ.get("HUB_SOAK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/hub_soak"),
                        help="a PostgreSQL database of the benchmark's own: dropped and created again")
    parser.add_argument("--redis-url", default=os.environ.get("HUB_SOAK_REDIS_URL", "redis://127.0.0.1:6379/8"))
    parser.add_argument("--tag", default="", help="suffix of the results file name, e.g. -trial")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hub-soak-"))
    port = free_port()
    from aiosmtpd.controller import Controller

    sink = Sink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    database_url = fresh_database(args.database_url)
    env = {
        **os.environ, "HUB_ENV": "development", "HUB_INSTANCE_PATH": str(workdir / "instance"), "HUB_DATABASE_URL": database_url,
        "HUB_SECRET_KEY": "s" * 48, "HUB_BASE_URL": f"http://127.0.0.1:{port}", "HUB_REDIS_URL": args.redis_url,
        "HUB_SEARCH_BACKEND": "postgres", "HUB_WORKER": "external", "HUB_MAIL_SERVER": "127.0.0.1", "HUB_MAIL_PORT": str(smtp_port),
        "HUB_MAIL_SENDER": "hub@exemple.ca",
    }
    processes = []
    engine = sa.create_engine(database_url)
    try:
        subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        prepared = subprocess.run([PYTHON, "-c", f"PASSWORD = {PASSWORD!r}\n" + PREPARE], cwd=ROOT, env=env, check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1]
        data = json.loads(prepared)
        web = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "--worker-class", "gevent", "--workers", str(args.workers), "--worker-connections", "2000",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stderr=open(workdir / "web.log", "wb"))
        processes.append(web)
        worker = subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "hub", "worker"], cwd=ROOT, env=env,
                                  stdout=open(workdir / "worker.log", "wb"), stderr=subprocess.STDOUT)
        processes.append(worker)
        wait_port(port, web)
        threads, polls = content(port, data)
        cookies = [login(port, email) for email in data["emails"]]
        load = Load(port, data, threads, polls, cookies, args.connections)

        print(f"warm-up: {args.warmup:.0f} s at {args.rate:g}/s", flush=True)
        load.run(args.warmup, args.rate, record=False)
        time.sleep(2)
        pids = children(web.pid)
        memory = [{"minute": 0, "rss_kib": {pid: rss_kib(pid) for pid in pids}, "worker_rss_kib": rss_kib(worker.pid)}]
        load_before = os.getloadavg()
        cpu_before = {pid: cpu_seconds(pid) for pid in [*pids, worker.pid]}
        print(f"load: {args.minutes:g} min at {args.rate:g}/s; web processes {pids}, memory {memory[0]}", flush=True)
        started = time.monotonic()
        minutes = int(args.minutes)
        for minute in range(1, minutes + 1):
            load.run(60, args.rate)
            reading = {"minute": minute, "rss_kib": {pid: rss_kib(pid) for pid in pids}, "worker_rss_kib": rss_kib(worker.pid),
                       "errors": len(load.errors), "dropped": sum(load.dropped.values()), "backlog": backlog(engine)}
            memory.append(reading)
            print(json.dumps(reading), flush=True)
        if args.minutes > minutes:
            load.run((args.minutes - minutes) * 60, args.rate)
        issued_seconds = time.monotonic() - started
        load.finish()
        cpu_used = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items()}
        at_end = backlog(engine)
        end_rss = {pid: rss_kib(pid) for pid in pids}
        drain_started = time.monotonic()
        drained = at_end
        while (drained["emails_pending"] or drained["search_outbox"]) and time.monotonic() - drain_started < 300:
            time.sleep(1)
            drained = backlog(engine)
        drain_seconds = time.monotonic() - drain_started
        start_total = sum(memory[0]["rss_kib"].values())
        end_total = sum(end_rss.values())
        report = {
            "date": date.today().isoformat(), "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "settings": {"minutes": args.minutes, "rate": args.rate, "warmup_seconds": args.warmup, "gunicorn_workers": args.workers,
                         "connections": args.connections, "mix": dict(MIX)},
            "load": summarize(load.results, issued_seconds),
            "dropped_late": load.dropped, "dropped_total": sum(load.dropped.values()),
            "error_examples": load.errors[:20],
            "memory": {"web_start_kib": memory[0]["rss_kib"], "web_end_kib": end_rss, "web_start_total_kib": start_total,
                       "web_end_total_kib": end_total, "growth_percent": (end_total - start_total) * 100 / start_total,
                       "worker_start_kib": memory[0]["worker_rss_kib"], "worker_end_kib": rss_kib(worker.pid), "per_minute": memory},
            "outbox": {"at_end_of_load": at_end, "after_drain": drained, "drain_seconds": drain_seconds, "smtp_received": sink.count},
            "cpu_seconds": {"web": sum(cpu_used[pid] for pid in pids), "worker": cpu_used[worker.pid],
                            "wall": issued_seconds, "machine": issued_seconds * os.cpu_count()},
            "load_average_1_5_15": {"before": load_before, "after": os.getloadavg()},
            "worker_alive": worker.poll() is None, "web_alive": web.poll() is None,
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"soak-{date.today().isoformat()}{args.tag}.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        summary = report["load"]
        print(f"requests {summary['requests']} at {summary['rate']:.1f}/s, errors {summary['errors']}, "
              f"dropped (over {MAX_LATE:g} s late) {report['dropped_total']}, "
              f"p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, p99 {summary['p99_ms']:.0f} ms")
        cpu = report["cpu_seconds"]
        print(f"CPU: web {cpu['web']:.0f} s ({cpu['web'] * 1000 / max(1, summary['requests']):.1f} ms a request), "
              f"worker {cpu['worker']:.0f} s, of {cpu['machine']:.0f} s the machine had")
        print(f"web memory {start_total / 1024:.1f} MiB -> {end_total / 1024:.1f} MiB ({report['memory']['growth_percent']:+.1f} %)")
        print(f"outbox at end {at_end}; after {drain_seconds:.0f} s {drained}; SMTP received {sink.count}")
        print(f"written to {out}")
        shutil.rmtree(workdir, ignore_errors=True)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()
        engine.dispose()
        if workdir.exists():
            print(f"logs kept in {workdir}")


if __name__ == "__main__":
    main()
