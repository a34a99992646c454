"""What the hub refuses before any view runs is documented on every operation: 400 for a malformed
query string or path, 413 for an oversized body. Walks every operation of the document."""
import re

import pytest

from tests.api.spec import HTTP_METHODS, assert_matches_spec, document, server_prefix

BODY_METHODS = {"post", "put", "patch", "delete"}


def operations():
    return [(method, path) for path, item in document()["paths"].items() for method in item if method in HTTP_METHODS]


def test_every_operation_documents_the_early_refusals():
    for method, path in operations():
        responses = document()["paths"][path][method]["responses"]
        assert "400" in responses, f"{method.upper()} {path}: a malformed query string answers 400"
        if method in BODY_METHODS:
            assert "413" in responses, f"{method.upper()} {path}: an oversized body answers 413"


@pytest.fixture
def admin(factory, app):
    from hub.accounts.models import User
    from hub.extensions import db

    user_id, email = factory.user("Martine Tremblay")
    with app.app_context():
        db.session.get(User, user_id).is_admin = True
        db.session.commit()
    slug = factory.community(email)
    return {"Authorization": f"Bearer {factory.token(email)}"}, slug, user_id


def _url(path, slug, user_id):
    values = {"slug": slug, "user_id": str(user_id), "token": "jeton", "kind": "thread", "action": "hide"}
    return server_prefix() + re.sub(r"{([^}]+)}", lambda m: values.get(m.group(1), "1"), path)


@pytest.mark.parametrize("query", ["q=%00", "q=%FF%FE"], ids=["NUL", "not UTF-8"])
def test_a_malformed_query_string_is_a_documented_400_everywhere(client, admin, query):
    headers, slug, user_id = admin
    for method, path in operations():
        response = client.open(_url(path, slug, user_id) + "?" + query, method=method.upper(), headers=headers)
        assert response.status_code == 400, (method, path, response.status_code)
        assert_matches_spec(response, method, path)


@pytest.mark.config(MAX_CONTENT_LENGTH=1024)
def test_an_oversized_body_is_a_documented_413_everywhere(client, admin):
    headers, slug, user_id = admin
    for method, path in operations():
        if method not in BODY_METHODS:
            continue
        response = client.open(
            _url(path, slug, user_id), method=method.upper(), headers=headers, data=b"{" + b" " * 2048 + b"}",
            content_type="application/json",
        )
        assert response.status_code == 413, (method, path, response.status_code)
        assert_matches_spec(response, method, path)
