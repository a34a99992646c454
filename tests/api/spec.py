"""Check real API responses against hub/api/openapi.json.

    from tests.api.spec import assert_matches_spec
    data = assert_matches_spec(client.get("/api/v1/me", headers=auth), "get", "/me")

The status must be documented for the operation, and a JSON body must validate against that
status's schema (OpenAPI 3.0 rules: nullable, additionalProperties…), with every $ref resolved
against the whole document.
"""
import json
from functools import lru_cache
from pathlib import Path

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "hub" / "api" / "openapi.json"
DOCUMENT_URI = "urn:hub:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@lru_cache(maxsize=1)
def document():
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _registry():
    return Registry().with_resource(DOCUMENT_URI, DRAFT4.create_resource(document()))


def server_prefix():
    """The path of the first server, e.g. '/api/v1'."""
    return document()["servers"][0]["url"].rstrip("/")


def documented_operations():
    """{(METHOD, '/api/v1/path/{param}')} for every operation of the document."""
    prefix = server_prefix()
    return {
        (method.upper(), prefix + path)
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _pointer(*parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _follow(obj, pointer):
    """A response object, following a '$ref' into #/components/responses; returns (object, pointer)."""
    while "$ref" in obj:
        target = obj["$ref"]
        assert target.startswith("#/"), f"only local references are supported: {target}"
        pointer = target[1:]
        obj = document()
        for part in pointer.lstrip("/").split("/"):
            obj = obj[part.replace("~1", "/").replace("~0", "~")]
    return obj, pointer


def operation(method, path_template):
    path = path_template
    prefix = server_prefix()
    if path.startswith(prefix + "/"):
        path = path[len(prefix):]
    paths = document()["paths"]
    assert path in paths, f"{path} is not documented in openapi.json"
    assert method.lower() in paths[path], f"{method.upper()} {path} is not documented in openapi.json"
    return path, paths[path][method.lower()]


def schema_validator(pointer):
    """An OAS 3.0 validator for the schema at this JSON pointer of the document."""
    return OAS30Validator({"$ref": DOCUMENT_URI + "#" + pointer}, registry=_registry(), format_checker=oas30_format_checker)


def assert_matches_spec(response, method, path_template):
    """Assert the Flask test-client response is what openapi.json promises; return its JSON body."""
    path, op = operation(method, path_template)
    status = str(response.status_code)
    responses = op["responses"]
    body_text = response.get_data(as_text=True)[:500]
    assert status in responses, (
        f"{method.upper()} {path} answered {status}, which is not documented "
        f"(documented: {', '.join(sorted(responses))}); body: {body_text}"
    )
    documented, pointer = _follow(responses[status], _pointer("paths", path, method.lower(), "responses", status))
    content = documented.get("content")
    if not content:
        assert not response.get_data(), f"{method.upper()} {path} {status} should have no body"
        return None
    assert "application/json" in content, f"only JSON bodies are documented for {method.upper()} {path} {status}"
    assert response.mimetype == "application/json", f"{method.upper()} {path} {status} answered {response.mimetype}: {body_text}"
    data = response.get_json()
    validator = schema_validator(pointer + _pointer("content", "application/json", "schema"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method.upper()} {path} {status} does not match its schema:\n" + "\n".join(
        f"- at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]
    )
    return data
