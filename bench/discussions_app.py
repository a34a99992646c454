"""The hub as the discussions benchmark serves it: the real application, plus two routes that exist
only here: ``/bench/login/<id>`` (a session without a login form) and ``/bench/bare/<name>``, a bare
Flask route answering HTML captured from the real page, from memory (the baseline).

    gunicorn --worker-class gthread --workers 2 --threads 16 --bind 127.0.0.1:8001 bench.discussions_app:app
"""
from pathlib import Path

from flask import abort
from flask_login import login_user

from hub import create_app
from hub.accounts.models import User
from hub.extensions import csrf, db

app = create_app()
_pages = {}


@app.route("/bench/login/<int:user_id>")
@csrf.exempt
def bench_login(user_id):
    login_user(db.session.get(User, user_id))
    return "ok"


@app.route("/bench/bare/<name>")
def bench_bare(name):
    if name not in _pages:
        path = Path(app.instance_path) / f"bench-{name}.html"
        if not path.exists() or not name.isalnum():
            abort(404)
        _pages[name] = path.read_bytes()
    return _pages[name], 200, {"Content-Type": "text/html; charset=utf-8"}
