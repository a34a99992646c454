"""Configuration, health check and security headers."""
import pytest

from config import ProductionConfig, TestingConfig, load_or_create_secret_key


def test_healthz_reports_database_and_search(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok", "backend": "sqlite" if backend == "sqlite" else "postgresql"}
    assert body["search"]["status"] == "ok" and body["search"]["backend"] == "whoosh"
    assert body["realtime"] == {"mode": "threading", "message_queue": None}


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_or_create_secret_key(tmp_path)
    assert len(first) >= 48
    assert load_or_create_secret_key(tmp_path) == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_instance_defaults_and_env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    config = TestingConfig()
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    assert config.UPLOAD_FOLDER == str(tmp_path / "uploads")
    assert config.SEARCH_INDEX_PATH == str(tmp_path / "search-index")
    monkeypatch.setenv("HUB_DATABASE_URL", "postgres://hub@db/hub")
    monkeypatch.setenv("HUB_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("HUB_REGISTRATION", "invite")
    config = TestingConfig()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://hub@db/hub"
    assert config.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
    monkeypatch.setenv("HUB_DATABASE_POOL_SIZE", "25")
    assert TestingConfig().SQLALCHEMY_ENGINE_OPTIONS["pool_size"] == 25
    assert config.MAX_CONTENT_LENGTH == 5 * 1024 * 1024
    assert config.REGISTRATION == "invite"


def test_production_refuses_unsafe_settings_and_says_why(monkeypatch, tmp_path):
    from hub import create_app

    for name in ("HUB_SECRET_KEY", "HUB_BASE_URL", "HUB_MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError) as refused:
        create_app(ProductionConfig())
    message = str(refused.value)
    assert "HUB_SECRET_KEY" in message and "HUB_BASE_URL" in message and "HUB_MAIL_SERVER" in message

    monkeypatch.setenv("HUB_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("HUB_BASE_URL", "https://hub.exemple.ca")
    monkeypatch.setenv("HUB_MAIL_SERVER", "smtp.exemple.ca")
    app = create_app(ProductionConfig())
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_error_pages_are_localized(client):
    french = client.get("/nowhere", headers={"Accept-Language": "fr-CA"})
    english = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert french.status_code == english.status_code == 404
    assert b'data-testid="error-page"' in french.data
    assert french.data != english.data
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


@pytest.mark.config(MAX_CONTENT_LENGTH=1024)
def test_too_large_request_gets_a_localized_413_page(client):
    french = client.post("/login", data={"email": "a" * 5000}, headers={"Accept-Language": "fr-CA"})
    english = client.post("/login", data={"email": "a" * 5000}, headers={"Accept-Language": "en"})
    assert french.status_code == english.status_code == 413
    assert b'data-testid="error-page"' in french.data and french.data != english.data


def test_unexpected_error_gets_a_localized_500_page_and_json_for_the_api(app):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    client = app.test_client()
    page = client.get("/boom", headers={"Accept-Language": "en"})
    assert page.status_code == 500 and b"Nothing you entered was saved" in page.data
    api = client.get("/api/v1/boom")
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "server_error"


def test_times_are_shown_in_the_users_zone_and_locale(app, factory):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime  # noqa: F401

    from hub.accounts.models import ApiToken
    from hub.extensions import db
    from tests.conftest import login

    _id, email = factory.user(timezone="Europe/Paris", locale="fr_CA")
    factory.token(email, "horloge")
    moment = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
    with app.app_context():
        db.session.execute(db.update(ApiToken).values(created_at=moment))
        db.session.commit()
    client = app.test_client()
    login(client, email)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "15 janv. 2026 13 h 00" in page  # one format for every date and time: Babel's medium date, short time
    client.post("/account", data={"display_name": "X", "timezone": "America/Vancouver", "locale": "en"})
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Jan 15, 2026 4:00\u202fAM" in page or "Jan 15, 2026 4:00 AM" in page


def test_rate_limits_use_redis_when_configured(tmp_path):
    import redis

    from tests.conftest import REDIS_URL, build_app, service_missing

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as error:
        service_missing(f"Redis unreachable: {error}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = build_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL, LOGIN_RATE_LIMIT="2 per minute")
    first, second = app.test_client(), app.test_client()
    statuses = [c.post("/login", data={"email": "x@exemple.ca", "password": "faux mot de passe"}).status_code for c in (first, second, first)]
    assert statuses == [422, 422, 429]  # counted in Redis, across clients of the same address
    assert any(b"LIMITS" in key or b"login" in key for key in redis.Redis.from_url(REDIS_URL).keys("*"))


def test_sqlite_commits_through_a_write_ahead_log(app, backend):
    """On SQLite a commit appends to a write-ahead log (no journal and database file synced per
    commit), and readers are not blocked by a writer."""
    if backend != "sqlite":
        pytest.skip("SQLite only")
    import sqlalchemy as sa

    from hub.extensions import db

    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert db.session.execute(sa.text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL


@pytest.mark.config(BASE_URL="https://hub.example.org")
def test_csp_lets_pages_open_websockets_only_to_the_hub(client):
    """connect-src names the hub's own WebSocket origins (its public address and the host the page
    was asked for), never any ws: or wss: host."""
    csp = client.get("/login", base_url="http://localhost:5000").headers["Content-Security-Policy"]
    connect = next(d for d in csp.split("; ") if d.startswith("connect-src "))
    assert connect.split() == ["connect-src", "'self'", "wss://hub.example.org", "ws://localhost:5000"]
    csp = client.get("/login", base_url="https://hub.example.org").headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://hub.example.org;" in csp
    # A Host header that is not a host name adds nothing to the policy.
    csp = client.get("/login", headers={"Host": "evil.example;script-src *"}).headers["Content-Security-Policy"]
    assert "evil" not in csp and "connect-src 'self' wss://hub.example.org;" in csp


def test_one_format_for_durations_times_and_dates(app):
    from datetime import datetime, time, timezone

    from flask_babel import force_locale

    from hub.i18n import format_clock, format_duration, format_moment

    with app.test_request_context():
        with force_locale("fr_CA"):
            assert [str(format_duration(m)) for m in (45, 60, 90)] == ["45 min", "1 h", "1 h 30"]
            assert format_clock(time(10, 0)) == "10 h 00"
            moment = datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc)
            assert format_moment(moment, "short") == format_moment(moment) == "4 mars 2026 10 h 00"  # Toronto
