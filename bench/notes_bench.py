"""Live note benchmark: N editors typing in one note at once, update propagation latency, and the
server's memory per open note.

    .venv/bin/python -m bench.notes_bench [--editors 10] [--seconds 20] [--rate 5] [--notes 200]

1. Propagation: the hub is served in a subprocess (werkzeug, threads, as `make run`; SQLite); N
   python-socketio clients (each with its own pycrdt copy, authenticated by API token) join the
   note's room and each type --rate small edits per second for --seconds. An edit's propagation is
   the time from its sender's emit to its arrival at each other editor (one clock: every client is
   in this process). The server applies each update to its pycrdt document and writes the document
   state to the database before relaying and acknowledging. At the end every copy must be equal.
2. Memory: in a fresh process, --notes notes of ~4 kB are opened live (pycrdt document, room state);
   the growth of the process's RSS divided by --notes is the memory per open note.
Results: a Markdown summary on stdout, raw numbers in bench/results/notes-<editors>-<date>.json.
"""
import argparse
import json
import os
import random
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
sys.path.insert(0, str(ROOT))

BODY = ("## Compte rendu\n\nTour de table sur l'approvisionnement responsable et les clauses sociales "
        "dans les marchés publics municipaux.\n\n") * 30  # about 4 kB


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_app(folder):
    from tests.conftest import build_app

    return build_app(Path(folder))


def setup(folder, editors):
    """Users, a community, a note; returns (note id, tokens)."""
    from tests.conftest import Factory

    app = make_app(folder)
    factory = Factory(app)
    emails = [factory.user(f"Éditrice {i}", email=f"editrice{i}@exemple.ca")[1] for i in range(editors)]
    slug = factory.community(emails[0], "CP Banc d'essai")
    for email in emails[1:]:
        factory.add_member(slug, email)
    tokens = [factory.token(email) for email in emails]
    response = app.test_client().post(f"/api/v1/communities/{slug}/notes", json={"title": "Banc d'essai", "body": BODY, "visibility": "community"},
                                      headers={"Authorization": f"Bearer {tokens[0]}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], tokens


def serve(folder, port):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    app = make_app(folder)
    make_server("127.0.0.1", port, app, threaded=True, request_handler=Quiet).serve_forever()


class Client:
    def __init__(self, url, token, note_id, sent, latencies, lock):
        import socketio
        from pycrdt import Doc, Text

        self.note_id, self.sent, self.latencies, self.lock = note_id, sent, latencies, lock
        self.doc = Doc()
        self.text = self.doc.get("body", type=Text)
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("note:update", self.on_update)
        self.sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        ack = self.sio.call("note:join", {"note": note_id, "client": self.doc.client_id, "sv": self.doc.get_state()}, timeout=10)
        assert ack["ok"], ack
        self.doc.apply_update(bytes(ack["update"]))
        self.acks = []

    def on_update(self, message):
        now = time.perf_counter()
        update = bytes(message["update"])
        with self.lock:
            self.doc.apply_update(update)
            started = self.sent.get(update)
        if started is not None:
            self.latencies.append((now - started) * 1000)

    def sync(self):
        """The editor's periodic state-vector check (every 10 s in browsers)."""
        with self.lock:
            vector = self.doc.get_state()
        ack = self.sio.call("note:sync", {"note": self.note_id, "sv": vector}, timeout=10)
        with self.lock:
            self.doc.apply_update(bytes(ack["update"]))
            mine = self.doc.get_update(bytes(ack["sv"]))
        if len(mine) > 2:
            self.sio.call("note:update", {"note": self.note_id, "update": mine}, timeout=10)

    def edit(self, rng):
        with self.lock:
            before = self.doc.get_state()
            value = str(self.text)
            index = len(value[: rng.randrange(len(value) + 1)].encode())
            self.text.insert(index, rng.choice(["é", "a", " ", "ç", "\n", "mot "]))
            update = self.doc.get_update(before)
            self.sent[update] = time.perf_counter()
        started = time.perf_counter()
        ack = self.sio.call("note:update", {"note": self.note_id, "update": update}, timeout=10)
        self.acks.append(((time.perf_counter() - started) * 1000, ack.get("ok")))


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


def propagation(editors, seconds, rate):
    folder = tempfile.mkdtemp(prefix="hub-notes-bench-")
    note_id, tokens = setup(folder, editors)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.notes_bench", "--serve", folder, str(port)], cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        sent, latencies, lock = {}, [], threading.Lock()
        clients = [Client(url, token, note_id, sent, latencies, lock) for token in tokens]

        def typist(client, seed):
            rng = random.Random(seed)
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                client.edit(rng)
                time.sleep(rng.expovariate(rate))

        threads = [threading.Thread(target=typist, args=(c, i)) for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = sum(len(c.acks) for c in clients) * (editors - 1)
        deadline = time.perf_counter() + 15
        while len(latencies) < expected and time.perf_counter() < deadline:  # the last relays
            time.sleep(0.1)
        equal_before_sync = len({str(c.text) for c in clients}) == 1
        for c in clients:
            c.sync()
        texts = {str(c.text) for c in clients}
        acks = [ms for c in clients for ms, _ok in c.acks]
        refused = sum(1 for c in clients for _ms, ok in c.acks if not ok)
        server_rss = int(open(f"/proc/{server.pid}/status").read().split("VmRSS:")[1].split()[0])
        for c in clients:
            c.sio.disconnect()
        return {
            "editors": editors, "seconds": seconds, "rate_per_editor": rate, "updates": len(acks), "refused": refused,
            "deliveries": len(latencies), "expected_deliveries": len(acks) * (editors - 1),
            "propagation_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99), "max": max(latencies, default=None)},
            "ack_ms": {"p50": percentile(acks, 50), "p95": percentile(acks, 95)},
            "equal_before_sync": equal_before_sync, "converged": len(texts) == 1, "final_chars": len(texts.pop()) if len(texts) == 1 else None,
            "server_rss_kb": server_rss,
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def memory(notes):
    """Run in a fresh process: RSS growth per open live note."""
    folder = tempfile.mkdtemp(prefix="hub-notes-mem-")
    app = make_app(folder)
    from hub.extensions import db
    from hub.notes import live, service
    from hub.notes.models import Note
    from tests.conftest import Factory

    factory = Factory(app)
    _uid, email = factory.user("Mémoire", email="memoire@exemple.ca")
    slug = factory.community(email, "CP Mémoire")
    with app.test_request_context():
        from hub.accounts import service as accounts
        from hub.communities import service as communities

        owner, community = accounts.find_by_email(email), communities.by_slug(slug)
        owner_id = owner.id
        ids = [service.create_note(community, owner, title=f"Note {i}", body=BODY, visibility="community").id for i in range(notes)]
        db.session.commit()
        db.session.expunge_all()
        before = rss_kb()
        for i, note_id in enumerate(ids):
            live.join(db.session.get(Note, note_id), f"sid-{i}", owner_id, i, True)
        db.session.expunge_all()
        after = rss_kb()
    return {"notes": notes, "body_chars": len(BODY), "rss_before_kb": before, "rss_after_kb": after, "kb_per_note": (after - before) / notes}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--editors", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=5, help="edits per second per editor")
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--serve", nargs=2, metavar=("FOLDER", "PORT"))
    parser.add_argument("--memory-only", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.memory_only:
        print(json.dumps(memory(args.notes)))
        return
    result = {"date": date.today().isoformat(), "cpus": os.cpu_count()}
    result["propagation"] = propagation(args.editors, args.seconds, args.rate)
    out = subprocess.run([sys.executable, "-m", "bench.notes_bench", "--memory-only", "--notes", str(args.notes)], cwd=ROOT, capture_output=True, text=True, check=True)
    result["memory"] = json.loads(out.stdout.strip().splitlines()[-1])
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    target = RESULTS_DIR / f"notes-{args.editors}-{result['date']}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    p, m = result["propagation"], result["memory"]
    print("| editors | updates | deliveries | propagation p50 | p95 | p99 | ack p50 | ack p95 | equal before sync | converged | memory per open note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {p['editors']} | {p['updates']} | {p['deliveries']}/{p['expected_deliveries']} | {p['propagation_ms']['p50']:.1f} ms | {p['propagation_ms']['p95']:.1f} ms | "
          f"{p['propagation_ms']['p99']:.1f} ms | {p['ack_ms']['p50']:.1f} ms | {p['ack_ms']['p95']:.1f} ms | {p['equal_before_sync']} | {p['converged']} | {m['kb_per_note']:.1f} kB |")
    print(f"raw: {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
