"""Behind a reverse proxy (HUB_PROXY_COUNT=1, as docs/nginx/hub.conf sets it up), the client's address
and scheme come from the proxy's headers; without it they are ignored."""
import pytest
from flask import request

from tests.conftest import build_app

HEADERS = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "hub.exemple.ca"}


@pytest.mark.parametrize("count, seen", [(1, ("203.0.113.7", "https", "hub.exemple.ca")), (0, ("127.0.0.1", "http", "localhost"))])
def test_forwarded_headers_are_trusted_only_behind_a_declared_proxy(tmp_path, count, seen):
    app = build_app(tmp_path, PROXY_COUNT=count)

    @app.route("/_who")
    def who():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    answer = app.test_client().get("/_who", headers=HEADERS, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert (answer["address"], answer["scheme"], answer["host"]) == seen
