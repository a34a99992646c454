"""Malformed multipart bodies on every multipart operation of the document get a documented 4xx JSON error."""
import pytest

from tests.api.spec import assert_matches_spec, document, server_prefix

BOUNDARY = "hubboundary"


def _part(header, content=b""):
    return b"--" + BOUNDARY.encode() + b"\r\n" + header + b"\r\n\r\n" + content + b"\r\n"


END = b"--" + BOUNDARY.encode() + b"--\r\n"
EMPTY_FILE = _part(b'Content-Disposition: form-data; name="file"; filename=""')

MALFORMED = {
    # The name ends in a backslash that escapes the closing quote: the part names nothing.
    "unterminated quoted name": _part('Content-Disposition: form-data; name="\u0099I\u0083\\"'.encode()) + EMPTY_FILE + END,
    "unterminated quoted file name": _part(b'Content-Disposition: form-data; name="file"; filename="a\\"', b"x") + END,
    "part without name": _part(b"Content-Disposition: form-data", b"x") + EMPTY_FILE + END,
    "part without disposition": _part(b"Content-Type: text/plain", b"x") + EMPTY_FILE + END,
    "NUL in a name": _part(b'Content-Disposition: form-data; name="ti\x00tle"', b"x") + END,
    "NUL in a value": _part(b'Content-Disposition: form-data; name="title"', b"a\x00b") + END,
    "invalid UTF-8 in a name": _part(b'Content-Disposition: form-data; name="\xff"', b"x") + END,
    "invalid UTF-8 in a value": _part(b'Content-Disposition: form-data; name="title"', b"\xff\xfe") + END,
    "no closing boundary": _part(b'Content-Disposition: form-data; name="title"', b"x"),
    "not multipart at all": b"\x00\xff garbage",
    "empty body": b"",
}
CONTENT_TYPES = {
    "with boundary": f"multipart/form-data; boundary={BOUNDARY}",
    "without boundary": "multipart/form-data",
}


def multipart_operations():
    return sorted(
        (method, path)
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "multipart/form-data" in op.get("requestBody", {}).get("content", {})
    )


def test_the_document_has_multipart_operations():
    assert ("post", "/resources/{resource_id}/versions") in multipart_operations()
    assert ("post", "/communities/{slug}/resources") in multipart_operations()


@pytest.fixture
def places(client, factory):
    """A community, a resource of it and the facilitator's token: the values of every path parameter."""
    _id, email = factory.user("Sophie Gagnon")
    slug = factory.community(email)
    token = factory.token(email)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        f"/api/v1/communities/{slug}/resources", headers=headers, content_type="multipart/form-data",
        data={"title": "Guide d'approvisionnement responsable", "type": "good_practice", "language": "fr", "url": "https://exemple.ca/guide"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"slug": slug, "resource_id": response.get_json()["id"]}, headers


@pytest.mark.parametrize("content_type", CONTENT_TYPES.values(), ids=list(CONTENT_TYPES))
@pytest.mark.parametrize("body", MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_multipart_is_a_documented_client_error(client, places, body, content_type):
    values, headers = places
    operations = multipart_operations()
    for method, template in operations:
        response = client.open(
            server_prefix() + template.format(**values), method=method.upper(), data=body,
            headers={**headers, "Content-Type": content_type},
        )
        assert 400 <= response.status_code < 500, (method, template, response.status_code, response.get_data(as_text=True)[:300])
        error = assert_matches_spec(response, method, template)
        assert set(error["error"]) >= {"code", "message"}


def test_nothing_is_written_by_a_malformed_version(client, places):
    values, headers = places
    response = client.post(
        f"/api/v1/resources/{values['resource_id']}/versions", data=MALFORMED["unterminated quoted name"],
        headers={**headers, "Content-Type": CONTENT_TYPES["with boundary"]},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    resource = client.get(f"/api/v1/resources/{values['resource_id']}", headers=headers).get_json()
    assert resource["versions"] == []
