"""The hub: a place where communities of practice meet, write, share and talk."""
from pathlib import Path

from flask import Flask

from config import get_config, load_or_create_secret_key


def create_app(config=None, **overrides):
    """Build the application: config, extensions, blueprints, CLI, error handlers."""
    settings = config if config is not None else get_config()
    app = Flask(
        __name__,
        instance_path=settings.INSTANCE_PATH,
        instance_relative_config=True,
        static_folder="../static",
        template_folder="../templates",
    )
    app.config.from_object(settings)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))
    problems = settings.problems()
    if problems:
        raise RuntimeError("Unsafe production configuration, the hub will not start:\n- " + "\n- ".join(problems))

    from . import access, cli, errors, i18n, pagecache, security
    from .notifications import models as _notification_models  # noqa: F401
    from .notes import models as _note_models  # noqa: F401
    from .discussions import models as _discussion_models  # noqa: F401
    from . import audit as _audit  # noqa: F401
    from .moderation import models as _moderation_models  # noqa: F401
    from .privacy import models as _privacy_models  # noqa: F401
    from .activity import models as _activity_models  # noqa: F401
    from .extensions import db, migrate, login_manager, csrf, limiter, socketio

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # Handlers must be declared before the first init_app so every app instance gets them.
    from . import realtime  # noqa: F401
    from .notes import realtime as _notes_realtime  # noqa: F401

    socketio.init_app(app, message_queue=app.config.get("REDIS_URL"), async_mode=_async_mode(), cors_allowed_origins=_socket_origin_check(app) if not app.testing else "*")
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    access.init_app(app)
    pagecache.init_app(app)

    from . import activity, communities, discussions, meetings, moderation, notes, notifications, resources, search
    from .activity import api as _activity_api  # noqa: F401  (routes on the API blueprint)
    from .activity.views import bp as activity_bp
    from .accounts.views import bp as accounts_bp
    from .admin import api as _admin_api  # noqa: F401  (routes on the API blueprint)
    from . import attention
    from .attention import api as _attention_api  # noqa: F401  (routes on the API blueprint)
    from .admin.views import bp as admin_bp
    from .api import bp as api_bp
    from .communities.views import bp as communities_bp
    from .core import bp as core_bp
    from .meetings import api as _meetings_api  # noqa: F401  (routes on the API blueprint)
    from .meetings.views import bp as meetings_bp
    from .notes import api as _notes_api  # noqa: F401  (routes on the API blueprint)
    from .notes.views import bp as notes_bp
    from .discussions.views import bp as discussions_bp
    from .discussions import api as _discussions_api  # noqa: F401  (routes on the API blueprint)
    from .notifications.views import bp as notifications_bp
    from .notifications import api as _notifications_api  # noqa: F401  (routes on the API blueprint)
    from .resources.views import bp as resources_bp
    from .resources import api as _resources_api  # noqa: F401  (routes on the API blueprint)
    from .search import api as _search_api  # noqa: F401  (routes on the API blueprint)
    from .moderation import api as _moderation_api  # noqa: F401  (routes on the API blueprint)
    from .search.views import bp as search_bp
    from . import privacy
    from .privacy import api as _privacy_api  # noqa: F401  (routes on the API blueprint)
    from .privacy.views import bp as privacy_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(communities_bp)
    app.register_blueprint(resources_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(notes_bp)
    app.register_blueprint(discussions_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(activity_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    resources.init_app(app)
    meetings.init_app(app)
    notes.init_app(app)
    discussions.init_app(app)
    notifications.init_app(app)
    attention.init_app(app)
    moderation.init_app(app)
    privacy.init_app(app)
    communities.init_app(app)
    activity.init_app(app)
    search.init_app(app)  # after every kind is registered: it catches up on the outbox
    if app.config.get("PROXY_COUNT"):
        # Behind a reverse proxy: the client's address (rate limits, logs) and scheme come from its headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    return app

def _async_mode():
    """How Socket.IO waits: "gevent" under a server that patched the standard library for it
    (gunicorn's gevent worker, the production server), where each open page is a greenlet and a
    broadcast reaches hundreds of pages without as many threads fighting for the interpreter;
    "threading" otherwise (``flask hub serve`` of ``make run``, the tests)."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def _socket_origin_check(app):
    """Socket.IO accepts the public address's origin and the page's own (the Host it was asked
    for, e.g. localhost instead of 127.0.0.1); a page of another site is refused."""
    from urllib.parse import urlsplit

    def allowed(origin, environ=None):
        if not origin:
            return False
        public = urlsplit(app.config["BASE_URL"])
        if origin == f"{public.scheme}://{public.netloc}":
            return True
        environ = environ or {}
        host = environ.get("HTTP_HOST", "")
        return bool(host) and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    return allowed
