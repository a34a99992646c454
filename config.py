"""Settings for the hub.

Every value has a default suited to the embedded setup (one machine, SQLite, a local
Whoosh index, everything under the instance folder) and can be overridden by a
``HUB_*`` environment variable. ``ProductionConfig.check`` refuses unsafe settings.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_bool(name, default=False):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = _env(name)
    try:
        return int(value) if value is not None else default
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {value!r}") from None


def instance_path():
    return Path(_env("HUB_INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def load_or_create_secret_key(folder: Path) -> str:
    """Return the secret key kept in the instance folder, creating it on first run."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if key_file.exists():
        key = key_file.read_text().strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Config:
    ENV_NAME = "development"

    def __init__(self):
        folder = instance_path()
        self.INSTANCE_PATH = str(folder)
        self.SECRET_KEY = _env("HUB_SECRET_KEY")
        self.SECRET_KEY_FROM_ENV = self.SECRET_KEY is not None
        self.SQLALCHEMY_DATABASE_URI = _env("HUB_DATABASE_URL", f"sqlite:///{folder / 'hub.sqlite3'}")
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql://" + self.SQLALCHEMY_DATABASE_URI[len("postgres://"):]
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgresql://"):]
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        if not self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            # Connections per web process, and as many again at a peak (a process serves many pages at once).
            pool = _env_int("HUB_DATABASE_POOL_SIZE", 10)
            self.SQLALCHEMY_ENGINE_OPTIONS.update(pool_size=pool, max_overflow=pool)
        self.UPLOAD_FOLDER = _env("HUB_UPLOAD_FOLDER", str(folder / "uploads"))
        self.SEARCH_INDEX_PATH = _env("HUB_SEARCH_INDEX_PATH", str(folder / "search-index"))
        self.SEARCH_BACKEND = _env("HUB_SEARCH_BACKEND", "whoosh")
        self.REDIS_URL = _env("HUB_REDIS_URL")
        self.MAIL_SERVER = _env("HUB_MAIL_SERVER")
        self.MAIL_PORT = _env_int("HUB_MAIL_PORT", 25)
        self.MAIL_USE_TLS = _env_bool("HUB_MAIL_USE_TLS", False)
        self.MAIL_USERNAME = _env("HUB_MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("HUB_MAIL_PASSWORD")
        self.MAIL_SENDER = _env("HUB_MAIL_SENDER", "hub@localhost")
        self.REGISTRATION = _env("HUB_REGISTRATION", "open")
        self.BASE_URL = _env("HUB_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.MAX_UPLOAD_MB = _env_int("HUB_MAX_UPLOAD_MB", 50)
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_MB * 1024 * 1024
        self.MAX_FORM_MEMORY_SIZE = 1024 * 1024
        self.LOGIN_RATE_LIMIT = _env("HUB_LOGIN_RATE_LIMIT", "10 per minute")
        # Failed logins for one account (email), from any address, on the login page and the API together.
        self.LOGIN_ACCOUNT_RATE_LIMIT = _env("HUB_LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute; 20 per hour")
        # Link previews never request private or loopback addresses unless this is set (tests serve pages on loopback).
        self.LINK_PREVIEW_ALLOW_PRIVATE = _env_bool("HUB_LINK_PREVIEW_ALLOW_PRIVATE", False)
        # A note edited live becomes a revision this often (and when its last editor leaves).
        self.NOTES_PERSIST_SECONDS = _env_int("HUB_NOTES_PERSIST_SECONDS", 10)
        # Thread pages and community homes are kept per reader until their community changes (0: never kept).
        self.PAGE_CACHE_SECONDS = _env_int("HUB_PAGE_CACHE_SECONDS", 60)
        self.PAGE_CACHE_ENTRIES = _env_int("HUB_PAGE_CACHE_ENTRIES", 256)
        # How often each process looks for guest periods that ended under an open live connection.
        self.REALTIME_EXPIRY_CHECK_SECONDS = _env_int("HUB_REALTIME_EXPIRY_CHECK_SECONDS", 30)
        # Content flagged by this many different people is hidden until a facilitator or an admin reviews it.
        self.MODERATION_HIDE_THRESHOLD = _env_int("HUB_MODERATION_HIDE_THRESHOLD", 3)
        # Hours before a poll's deadline when those who have not answered are reminded, once (0: never).
        self.POLL_REMINDER_HOURS = _env_int("HUB_POLL_REMINDER_HOURS", 24)
        # Days kept before the worker purges them: sent or failed emails, and audit entries (0: kept forever).
        self.EMAIL_RETENTION_DAYS = _env_int("HUB_EMAIL_RETENTION_DAYS", 90)
        self.AUDIT_RETENTION_DAYS = _env_int("HUB_AUDIT_RETENTION_DAYS", 365)
        # Background jobs (outboxes, reminders, digests, clean-ups): "embedded" runs them in the web
        # process (`make run`); "external" leaves them to `flask hub worker` (production).
        self.WORKER = _env("HUB_WORKER", "embedded")
        self.WORKER_POLL_SECONDS = float(_env("HUB_WORKER_POLL_SECONDS", "2"))
        # Reverse proxies in front of the hub (nginx: 1) whose X-Forwarded-For/-Proto/-Host are trusted.
        self.PROXY_COUNT = _env_int("HUB_PROXY_COUNT", 0)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_ENABLED = _env_bool("HUB_RATELIMIT_ENABLED", True)
        self.DEFAULT_TIMEZONE = "America/Toronto"
        self.BABEL_DEFAULT_LOCALE = "fr_CA"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.LANGUAGES = {"fr_CA": "Français", "en": "English"}
        self.INVITATION_DAYS = 14
        self.TOKEN_MAX_AGE = 60 * 60 * 2  # password reset and email change links
        self.REGISTRATION_TOKEN_MAX_AGE = 60 * 60 * 24  # the link that confirms a registration
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.BASE_URL.startswith("https://")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
        self.PREFERRED_URL_SCHEME = "https" if self.SESSION_COOKIE_SECURE else "http"
        self.DEBUG = False
        self.TESTING = False

    def problems(self):
        """Reasons this configuration is unsafe to serve the public with."""
        return []


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    ENV_NAME = "production"

    def problems(self):
        found = []
        if not self.SECRET_KEY_FROM_ENV:
            found.append("HUB_SECRET_KEY must be set (a random string of at least 32 characters).")
        elif len(self.SECRET_KEY) < 32:
            found.append("HUB_SECRET_KEY is shorter than 32 characters.")
        if not self.BASE_URL.startswith("https://"):
            found.append("HUB_BASE_URL must be the public https:// address of the hub.")
        if not self.MAIL_SERVER:
            found.append("HUB_MAIL_SERVER must be set: invitations and password resets are sent by email.")
        if self.REGISTRATION not in {"open", "invite"}:
            found.append("HUB_REGISTRATION must be 'open' or 'invite'.")
        if self.SEARCH_BACKEND not in {"whoosh", "postgres"}:
            found.append("HUB_SEARCH_BACKEND must be 'whoosh' or 'postgres'.")
        if self.WORKER not in {"embedded", "external"}:
            found.append("HUB_WORKER must be 'embedded' or 'external'.")
        return found


class TestingConfig(Config):
    ENV_NAME = "testing"
    __test__ = False  # not a pytest test class

    def __init__(self):
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = self.SECRET_KEY or "test-secret-key-not-for-production-use-0123456789"
        self.RATELIMIT_ENABLED = False
        self.MAIL_SERVER = None
        # Argon2id still, with small costs so the suite creates hundreds of accounts quickly.
        self.PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
        self.SERVER_NAME = None


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "testing": TestingConfig}


def get_config(name=None):
    name = name or _env("HUB_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"HUB_ENV must be one of {', '.join(CONFIGS)}, got {name!r}") from None
