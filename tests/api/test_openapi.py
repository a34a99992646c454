"""The OpenAPI document is valid, complete, served, and its schemas have teeth."""
import re

import pytest
from openapi_spec_validator import validate

from tests.api.spec import HTTP_METHODS, assert_matches_spec, document, documented_operations, schema_validator

IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def app_operations(app):
    """{(METHOD, '/api/v1/path/{param}')} for every route of the API blueprint, from app.url_map."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - IMPLICIT_METHODS:
            found.add((method, path))
    return found


def test_document_is_valid_openapi_3_0_3():
    spec = document()
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "Hub API"
    validate(spec)


def test_every_route_is_documented_and_nothing_more(app):
    in_app, in_doc = app_operations(app), documented_operations()
    assert in_app, "no /api/v1 route found"
    assert in_app - in_doc == set(), "routes missing from openapi.json"
    assert in_doc - in_app == set(), "operations documented in openapi.json that the app does not have"


def test_path_parameters_are_declared():
    for path, item in document()["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            declared = {p["name"] for p in item.get("parameters", []) + op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{method.upper()} {path}"


def test_operations_needing_a_token_say_so():
    bearer = [{"bearerAuth": []}]
    # Everything needs a token except these: open to all, or answering more with a token.
    open_to_all = {("post", "/auth/register"), ("post", "/auth/token"), ("get", "/openapi.json")}
    optional = {("get", "/communities"), ("get", "/communities/{slug}")}
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            assert "security" in op, f"{method.upper()} {path} does not say whether it needs a token"
            expected = [] if (method, path) in open_to_all else [{}] + bearer if (method, path) in optional else bearer
            assert op["security"] == expected, f"{method.upper()} {path}"
            assert "401" in op["responses"], f"{method.upper()} {path}: a bad token always answers 401"
    scheme = document()["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_request_bodies_match_the_forms():
    schemas = document()["components"]["schemas"]
    register = schemas["RegistrationRequest"]
    assert set(register["required"]) == {"email", "password", "display_name"}
    assert register["properties"]["email"]["maxLength"] == 254
    assert register["properties"]["password"]["minLength"] == 10
    assert register["properties"]["display_name"]["maxLength"] == 120
    community = schemas["CommunityRequest"]
    assert community["required"] == ["name"]
    assert community["properties"]["name"]["maxLength"] == 120
    assert community["properties"]["visibility"]["enum"] == ["private", "listed", "public"]
    invitation = schemas["InvitationRequest"]
    assert invitation["required"] == ["email"]
    assert invitation["properties"]["message"]["maxLength"] == 2000


def test_fixed_response_shapes_refuse_extra_properties():
    schemas = document()["components"]["schemas"]
    for name in ("User", "UserPrivate", "Me", "Community", "Member", "Invitation", "Error", "AuthResult"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["Error"]["properties"]["error"]["additionalProperties"] is False
    assert set(schemas["Error"]["properties"]["error"]["required"]) == {"code", "message"}


def test_schema_validation_has_teeth():
    error = schema_validator("/components/schemas/Error")
    assert error.is_valid({"error": {"code": "invalid", "message": "Non.", "fields": {"name": ["Trop long."]}}})
    assert not error.is_valid({"error": {"code": "invalid"}})
    assert not error.is_valid({"error": {"code": "invalid", "message": "Non."}, "extra": 1})
    assert not error.is_valid({"error": {"code": "invalid", "message": "Non.", "fields": {"name": "Trop long."}}})
    community = schema_validator("/components/schemas/CommunityList")
    good = {"slug": "a", "name": "A", "mission": "", "visibility": "listed", "url": "http://localhost/c/a", "my_role": None}
    assert community.is_valid({"communities": [good]})
    assert not community.is_valid({"communities": [{**good, "visibility": "secret"}]})
    assert not community.is_valid({"communities": [{**good, "my_role": "owner"}]})
    assert not community.is_valid({"communities": [{**good, "surprise": True}]})
    # $ref chains are followed into components.
    me = schema_validator("/paths/~1me/get/responses/200/content/application~1json/schema")
    assert not me.is_valid({"memberships": []})


def test_the_document_is_served_and_matches_itself(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document()
    assert_matches_spec(response, "get", "/openapi.json")


def test_undocumented_status_is_caught(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert_matches_spec(response, "get", "/me")
    response.status_code = 418
    with pytest.raises(AssertionError, match="not documented"):
        assert_matches_spec(response, "get", "/me")


def _operations_by_id():
    return {
        op["operationId"]: (path, {**item, **op})
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def test_links_lead_from_what_is_created_to_what_uses_it():
    operations = _operations_by_id()
    expected = {
        "createCommunity": {"createThread", "createPoll", "createResource", "createNote"},
        "createPoll": {"answerPoll", "finalizePoll"},
        "finalizePoll": {"getMeetingIcs"},
        "createResource": {"addResourceVersion", "downloadResource"},
        "addResourceVersion": {"downloadResourceVersion"},
        "createThread": {"createPost"},
    }
    for source, targets in expected.items():
        _path, op = operations[source]
        created = next(status for status in op["responses"] if status.startswith("2"))
        linked = {link["operationId"] for link in op["responses"][created].get("links", {}).values()}
        assert targets <= linked, f"{source} {created}: links to {sorted(linked)}"


def test_every_link_names_a_real_operation_and_its_path_parameters():
    operations = _operations_by_id()
    found = 0
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in op["responses"].items():
                for name, link in response.get("links", {}).items():
                    found += 1
                    where = f"{method.upper()} {path} {status} link {name}"
                    assert link["operationId"] in operations, where
                    target_path, target = operations[link["operationId"]]
                    needed = set(re.findall(r"{([^}]+)}", target_path))
                    assert set(link["parameters"]) == needed, where
                    schema = response["content"]["application/json"]["schema"]
                    while "$ref" in schema:
                        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
                    for expression in link["parameters"].values():
                        if expression.startswith("$response.body#/"):
                            field = expression.removeprefix("$response.body#/")
                            assert field in schema.get("required", []), f"{where}: {field} is not always in the body"
                        else:
                            assert expression.removeprefix("$request.path.") in re.findall(r"{([^}]+)}", path), where
    assert found >= 30


def _pattern(schema):
    return re.compile(schema["pattern"])


def test_documented_time_zones_are_accepted_by_the_code(app):
    from hub.timeutil import is_valid_timezone

    zones = document()["components"]["schemas"]["TimeZone"]["enum"]
    assert "America/Toronto" in zones and "UTC" not in zones
    assert [zone for zone in zones if not is_valid_timezone(zone)] == []


def test_documented_date_patterns_agree_with_the_code(app):
    from hub.meetings import service

    calendar = {p["name"]: p["schema"] for p in document()["paths"]["/communities/{slug}/calendar"]["get"]["parameters"]}
    slot = document()["components"]["schemas"]["PollCreateRequest"]["properties"]["slots"]["items"]["oneOf"][0]
    accepted = ["2027-03-04T14:00", "2027-03-04 14:00:00.5", "2027-03-04T14:00:00Z", "2027-03-04T14:00-04:00", "2100-12-31T00:00z"]
    refused = ["demain", "2027-3-4T14:00", "2027-03-04T25:00", "03/04/2027 14:00", "2027-03-04T14:00+0400x", "1969-12-31T23:00"]
    for value in accepted:
        assert _pattern(slot).search(value), value
        assert _pattern(calendar["from"]).search(value), value
        service.parse_iso(value, "America/Toronto")  # raises if the code refuses it
    for value in refused:
        assert not _pattern(slot).search(value), value
    assert _pattern(calendar["to"]).search("2027-03-04") and not _pattern(calendar["to"]).search("2027-03-04T")


def test_documented_resource_alternatives_match_the_service():
    """A file, a link, or a case study's story: the anyOf of the document is the service's rule."""
    from openapi_schema_validator import OAS30Validator

    schema = document()["components"]["schemas"]["ResourceCreateRequest"]
    validator = OAS30Validator(schema)
    assert validator.is_valid({"title": "Guide", "url": "https://exemple.ca/guide"})
    assert validator.is_valid({"title": "Guide", "file": "…"})
    assert validator.is_valid({"title": "Récit", "type": "case_study", "story_lessons": "Ce qui a marché."})
    assert not validator.is_valid({"title": "Guide"})
    assert not validator.is_valid({"title": "Récit", "type": "tool", "story_lessons": "Ce qui a marché."})
    assert not validator.is_valid({"title": "Récit", "type": "case_study", "story_lessons": "   "})
    assert not validator.is_valid({"title": "Guide", "file": "…", "url": "https://exemple.ca/guide"})
    assert not validator.is_valid({"title": "   ", "url": "https://exemple.ca/guide"})
    assert not validator.is_valid({"title": "Guide", "url": "exemple.ca/guide"})
