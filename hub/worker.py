"""The background job runner: outboxes and periodic jobs, in one loop.

Features register their jobs once, in their ``init_app``:

    from hub import worker

    worker.register("meeting-reminders", run_reminders, every_seconds=300)

A job is a function taking the application; it runs inside an application context, at most once
every ``every_seconds`` (0: on every pass of the loop, as the email and search outboxes do). A job
that raises is logged and rolled back; it runs again at its next turn, and the others go on.

Where the loop runs depends on ``HUB_WORKER``:

- ``embedded`` (the default): ``flask hub serve`` (``make run``) runs it in a thread of the web
  process, and each request applies the search outbox it wrote to, so one process does everything.
- ``external``: web processes only serve; ``flask hub worker`` runs the loop in a process of its
  own (production: see docs/operations.md). Every job, the search outbox included, is its work.

The loop wakes every ``HUB_WORKER_POLL_SECONDS`` seconds, and at once when this process queues an
email. Several worker processes may run: outbox rows are claimed one by one (email) or under a lock
(search), so nothing is done twice, though periodic jobs then run in each.
"""
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .extensions import db

log = logging.getLogger(__name__)

EMBEDDED, EXTERNAL = "embedded", "external"
MODES = (EMBEDDED, EXTERNAL)
DEFAULT_POLL_SECONDS = 2.0


@dataclass
class Job:
    name: str
    function: Callable
    every_seconds: float

    # Read as the (function, interval) pair of earlier code that unpacked registry entries.
    def __iter__(self):
        return iter((self.function, self.every_seconds))


# name -> Job; features fill it from their init_app.
JOBS: dict[str, Job] = {}

# Set to wake the loop before its next poll (e.g. when this process queues an email).
wake = threading.Event()


def register(name, function, every_seconds):
    """Run ``function(app)`` every ``every_seconds`` seconds (0: on every pass). Registering a name
    again replaces its job."""
    JOBS[name] = Job(name, function, float(every_seconds))


def unregister(name):
    JOBS.pop(name, None)


def mode(app):
    return app.config.get("WORKER", EMBEDDED)


def is_external(app):
    """True when web processes leave every background job to ``flask hub worker``."""
    return mode(app) == EXTERNAL


def run_due(app, last_runs, now=None):
    """Run each job whose interval has passed since its last run (``last_runs``: name -> time).
    Returns the names of the jobs that ran."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in list(JOBS.values()):
        if now - last_runs.get(job.name, float("-inf")) < job.every_seconds:
            continue
        last_runs[job.name] = now
        ran.append(job.name)
        try:
            job.function(app)
        except Exception:  # keep the worker alive; the job runs again at its next turn
            log.exception("Background job %s failed", job.name)
            db.session.rollback()
    return ran


def run_worker(app, stop=None, interval=None):
    """Run the jobs until ``stop`` (a threading.Event) is set."""
    stop = stop or threading.Event()
    if interval is None:
        interval = float(app.config.get("WORKER_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    last_runs = {}
    while not stop.is_set():
        with app.app_context():
            try:
                run_due(app, last_runs)
            finally:
                db.session.remove()
        wake.wait(interval)
        wake.clear()


def start_background_worker(app):
    """The loop in a daemon thread of this process (the embedded setup)."""
    thread = threading.Thread(target=run_worker, args=(app,), name="hub-worker", daemon=True)
    thread.start()
    return thread
