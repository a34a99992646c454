"""Activity benchmark: the personal home with its feed ("Quoi de neuf") for a member of 5 communities
holding 100 000 activity items in all, next to the thread page, in the same run (the harness of
bench/discussions_bench.py: gunicorn's gevent worker, 16 keep-alive connections, the two pages
taking turns in 2 s slices). Also a full feed page (/activity, 20 items) and a community's home.

    .venv/bin/python -m bench.activity_bench [--items 100000] [--seconds 10] [--database-url postgresql://…]

Method and results: BENCHMARKS.md ("Activity feed"). Raw numbers: bench/results/activity-<date>.json.
"""
import argparse
import http.client
import json
import os
import platform
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from bench.discussions_bench import PYTHON, ROOT, SERVERS, SLICE_SECONDS, free_port, load, summary, wait_port

RESULTS_DIR = ROOT / "bench" / "results"


def prepare(instance, database_url, items, posts):
    """Five communities of six members (the reader in all five), real objects of every kind in each,
    ``items`` activity items spread over them and over a year, and a thread of ``posts`` posts."""
    env = {**os.environ, "HUB_INSTANCE_PATH": str(instance), "HUB_DATABASE_URL": database_url, "HUB_SECRET_KEY": "b" * 48}
    code = f"""
import random
from datetime import timedelta
import sqlalchemy as sa
from hub import create_app
from hub.extensions import db
from hub.accounts import service as accounts
from hub.activity.models import ActivityItem
from hub.communities import service as communities
from hub.communities.models import Membership
from hub.discussions import service as discussions
from hub.discussions.models import Thread
from hub.meetings.models import Meeting, Poll
from hub.notes.models import Note
from hub.resources.models import Resource
from hub.timeutil import utcnow
app = create_app()
rng = random.Random(1)
with app.test_request_context('/', base_url='http://127.0.0.1'):
    db.drop_all()
    db.create_all()
    people = [accounts.register(f'bench{{i}}@exemple.ca', 'mot de passe du banc', name, 'Ville')
              for i, name in enumerate(['Julie Roy', 'Karim Benali', 'Sophie Gagnon', 'Marc Tremblay', 'Isabelle Côté', 'Luc Pelletier'])]
    reader = people[1]
    names = ['CP Économie sociale municipale', 'Approvisionnement responsable', 'Habitation communautaire', 'Parcs et espaces verts', 'Matières résiduelles']
    objects = []  # (community id, kind, object id, page id, title)
    now = utcnow()
    for n, name in enumerate(names):
        community = communities.create(people[n % 2 * 2], name, 'Mission', 'Valeurs', 'private')
        for person in people:
            if communities.membership_of(community, person) is None:
                db.session.add(Membership(community=community, user=person, role='member'))
        db.session.flush()
        for i in range(40):
            thread = Thread(community=community, author=people[i % 6], title=f'Discussion {{i}} de {{name}}', post_count=1)
            resource = Resource(community=community, author=people[i % 6], title=f'Ressource {{i}}', url='https://exemple.ca/r', type='tool', language='fr')
            note = Note(community=community, owner=people[i % 6], title=f'Note {{i}}', body='', visibility=rng.choice(['community', 'members', 'private']), revision=1)
            poll = Poll(community=community, organizer=people[i % 6], title=f'Sondage {{i}}', duration_minutes=60, timezone='America/Toronto', invite_all=i % 3 > 0)
            meeting = Meeting(community=community, uid=f'bench-{{n}}-{{i}}@exemple.ca', title=f'Rencontre {{i}}', start=now, end=now + timedelta(hours=1), timezone='America/Toronto', organizer=people[0])
            db.session.add_all([thread, resource, note, poll, meeting])
            db.session.flush()
            objects += [(community.id, 'thread', thread.id, thread.id, thread.title), (community.id, 'resource', resource.id, resource.id, resource.title),
                        (community.id, 'note', note.id, note.id, note.title), (community.id, 'poll', poll.id, poll.id, poll.title),
                        (community.id, 'meeting', meeting.id, meeting.id, meeting.title)]
        if n == 0:
            first = community
    actions = {{'thread': ['created', 'replied'], 'resource': ['created', 'version'], 'note': ['shared'], 'poll': ['opened', 'decided'],
               'meeting': ['scheduled', 'moved', 'cancelled']}}
    rows = []
    for i in range({items}):
        community_id, kind, object_id, page_id, title = rng.choice(objects)
        at = now - timedelta(seconds=rng.randrange(365 * 86400))
        rows.append(dict(community_id=community_id, kind=kind, action=rng.choice(actions[kind]), object_id=object_id, page_id=page_id,
                         actor_id=rng.choice(people).id, title=title, count=rng.choice([1, 1, 1, 2, 5]), first_at=at, at=at))
        if len(rows) == 5000:
            db.session.execute(sa.insert(ActivityItem), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(ActivityItem), rows)
    thread, _first = discussions.create_thread(first, people[0], 'Politique d’approvisionnement responsable', 'Qui a une **politique** ? #approvisionnement')
    for i in range({posts} - 1):
        discussions.reply(thread, people[i % 6], f"Réponse {{i}} : les *clauses sociales* fonctionnent. @julie-roy #grille\\n\\n- un point\\n- un autre point")
    db.session.commit()
    print(db.session.execute(sa.select(sa.func.count()).select_from(ActivityItem)).scalar(), thread.id, first.slug, reader.id)
"""
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
    return int(out[-4]), int(out[-3]), out[-2], int(out[-1]), env


def http_bench(env, thread_id, slug, user_id, seconds, concurrency, workers):
    port = free_port()
    server = subprocess.Popen(SERVERS["gevent"](port, workers, 1), cwd=ROOT, env=env)
    try:
        wait_port(port, server)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/bench/login/{user_id}")
        response = conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        targets = {"thread": f"/threads/{thread_id}?page=1", "home": "/", "feed": "/activity", "community": f"/c/{slug}"}
        shown = {}
        for name, path in targets.items():
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            page = response.read().decode()
            assert response.status == 200, (path, response.status)
            shown[name] = page.count('data-testid="activity-item"')
            if response.getheader("Set-Cookie"):  # the session now holds its form token, as a browser would keep it
                cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        results = {"items_shown": shown}
        for name, path in targets.items():
            load(port, path, cookie, 2, concurrency)  # warm-up
        # Each page takes turns with the thread page, in slices of 2 s, so that both see the same machine.
        for name in ("home", "feed", "community"):
            page, thread = [], []
            for _ in range(max(1, round(seconds / SLICE_SECONDS))):
                page.append(load(port, targets[name], cookie, SLICE_SECONDS, concurrency))
                thread.append(load(port, targets["thread"], cookie, SLICE_SECONDS, concurrency))
            page, thread = summary(page), summary(thread)
            results[name] = {"page": page, "thread": thread, "p95_ratio": page["p95_ms"] / thread["p95_ms"] if thread["p95_ms"] else float("nan")}
        return results
    finally:
        server.terminate()
        server.wait(20)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own, emptied first (default: a new SQLite file)")
    parser.add_argument("--tag", default="", help="suffix of the results file name, e.g. -postgres")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hub-activity-bench-"))
    instance = workdir / "instance"
    instance.mkdir()
    database_url = args.database_url or f"sqlite:///{workdir / 'hub.sqlite3'}"
    try:
        count, thread_id, slug, user_id, env = prepare(instance, database_url, args.items, args.posts)
        results = {"date": date.today().isoformat(), "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
                   "activity_items": count, "communities": 5, "database": database_url.split(":", 1)[0],
                   "server": f"gevent, {args.workers} workers; {args.concurrency} client connections"}
        results["http"] = http_bench(env, thread_id, slug, user_id, args.seconds, args.concurrency, args.workers)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"activity-{results['date']}{args.tag}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
