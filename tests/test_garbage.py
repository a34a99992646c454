"""Garbage in, a clear refusal out: never a 500, and nothing written.

Every POST/PUT/PATCH/DELETE route of app.url_map gets malformed input (wrong JSON types, top-level
arrays and strings, broken JSON, invalid UTF-8, NUL characters, wrong content types, huge bodies,
random query strings), with real path values and with nonsense ones, as an anonymous visitor and
as a logged-in facilitator. A new route is included automatically; give its path arguments a real
value in ``real_values`` if the fallback (an existing community slug, or 1 for numbers) is not one.

Answers allowed: for /api/v1, a JSON error (4xx) that openapi.json documents; for pages, a 4xx
page, or 200/302 (a form shown again with its errors, or a redirect, e.g. to the login page).
Row counts of every table are compared before and after the garbage sent to each route.
"""
import io
import re
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from wtforms.fields.core import UnboundField

from tests.api.spec import assert_matches_spec, document
from tests.conftest import Factory

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HTML_OK = {200, 302, 303}
FORM = "application/x-www-form-urlencoded"
MB = 1024 * 1024
BIG_BODY = b"a" * (60 * MB)  # above MAX_CONTENT_LENGTH (50 MB)
HUGE_TEXT = "x" * (2 * MB)
HUGE_FORM_FIELDS = ["name", "email", "display_name", "password", "message"]


# --- what to attack --------------------------------------------------------------------


def write_routes(app):
    """(endpoint, rule, method) for every route that changes something, from app.url_map."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & WRITE_METHODS):
            found.append((rule.endpoint, rule, method))
    return sorted(found, key=lambda r: (r[1].rule, r[2]))


def is_api(rule):
    return rule.rule.startswith("/api/")


def api_template(rule):
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)


def converters(rule):
    return {name: type(conv).__name__ for name, conv in rule._converters.items()}


def fill(rule, values):
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[^<>]*:)?" + name + ">", quote(str(values[name]), safe="%"), path)
    return path


def all_form_fields():
    """Field names of every form class of the hub (found through FlaskForm's subclasses)."""
    from flask_wtf import FlaskForm

    names, todo = {"next", "lang", "q"}, list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("hub."):
            names.update(name for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField))
    return sorted(names)


def api_fields(rule, method):
    """Properties of the operation's JSON request body in openapi.json (a guess when it takes none)."""
    path = api_template(rule)[len("/api/v1"):]
    operation = document()["paths"].get(path, {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return sorted(schema.get("properties", {})) or ["name", "email"]


def multipart(fields):
    """A multipart/form-data body built by hand, so the parts may hold any bytes."""
    boundary = "----garbage" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def urlencoded(fields, value):
    return b"&".join(quote(f).encode() + b"=" + value for f in fields)


def form_garbage(fields):
    """Malformed bodies and query strings for a form (or any endpoint)."""
    invalid_multipart, ct1 = multipart([(f, b"\xff\xfe\xc3(") for f in fields])
    nul_multipart, ct2 = multipart([(f, b"a\x00b") for f in fields])
    fake_file, ct3 = multipart([("avatar", b"\x89PNG not really"), ("unknown", b"")])
    return [
        ("empty form", dict(data=b"", content_type=FORM)),
        ("no content type", dict(data=b"\x00\x01garbage\xff")),
        ("text/plain", dict(data="name=Parcs", content_type="text/plain")),
        ("unknown fields", dict(data="foo=bar&%5B%5D=1&&=&name%5B%5D=x&==", content_type=FORM)),
        ("empty fields", dict(data=urlencoded(fields, b""), content_type=FORM)),
        ("invalid UTF-8, percent-encoded", dict(data=urlencoded(fields, b"%FF%FE%C3%28"), content_type=FORM)),
        ("invalid UTF-8, raw bytes", dict(data=urlencoded(fields, b"\xff\xfe\xc3("), content_type=FORM)),
        ("NUL characters", dict(data=urlencoded(fields, b"a%00b"), content_type=FORM)),
        ("multipart, invalid UTF-8", dict(data=invalid_multipart, content_type=ct1)),
        ("multipart, NUL characters", dict(data=nul_multipart, content_type=ct2)),
        ("multipart, fake file", dict(data=fake_file, content_type=ct3)),
        ("JSON to a form", dict(json={f: ["x", {"y": None}] for f in fields})),
        ("random query string, invalid UTF-8", dict(query_string="%FF=%FE&next=%0D%0Ahttp://evil.example&q=%00", data=b"", content_type=FORM)),
        ("random query string", dict(query_string="next=//evil.example&lang=xx-YY&q=" + "z" * 3000 + "&page=-1", data=b"", content_type=FORM)),
    ]


WRONG_TYPES = [123, 1.5, True, [], ["x"], {}, {"nested": {"deeper": ["x"]}}, -(10 ** 30)]


def json_garbage(fields):
    """Malformed JSON bodies for an API endpoint."""
    cases = [(f"wrong type {value!r}", dict(json={f: value for f in fields})) for value in WRONG_TYPES]
    cases += [
        ("all null", dict(json={f: None for f in fields})),
        ("missing fields", dict(json={})),
        ("unknown fields only", dict(json={"surprise": "x", "": "", "__proto__": {}})),
        ("NUL characters", dict(json={f: "a\x00b" for f in fields})),
        ("lone surrogate", dict(data='{' + ", ".join(f'"{f}": "a\\ud800b"' for f in fields) + '}', content_type="application/json")),
        ("invalid UTF-8 in a string", dict(data=b'{"' + fields[0].encode() + b'": "\xff\xfe\xc3("}', content_type="application/json")),
        ("invalid UTF-8 bytes", dict(data=b"\xff\xfe\x00{\x00}", content_type="application/json")),
        ("top-level array", dict(json=[{f: "x" for f in fields}])),
        ("top-level empty array", dict(json=[])),
        ("top-level string", dict(json="name")),
        ("top-level number", dict(json=42)),
        ("top-level null", dict(data="null", content_type="application/json")),
        ("top-level true", dict(data="true", content_type="application/json")),
        ("empty JSON body", dict(data=b"", content_type="application/json")),
        ("truncated JSON", dict(data='{"name": "Par', content_type="application/json")),
        ("single quotes", dict(data="{'name': 'Parcs'}", content_type="application/json")),
        ("NaN and infinity", dict(data="{" + ", ".join(f'"{f}": NaN' if i % 2 else f'"{f}": 1e999999' for i, f in enumerate(fields)) + "}", content_type="application/json")),
        ("number with 5000 digits", dict(data='{"name": ' + "9" * 5000 + "}", content_type="application/json")),
        ("deeply nested arrays", dict(data="[" * 100000 + "]" * 100000, content_type="application/json")),
        ("deeply nested objects", dict(data='{"a":' * 50000 + "1" + "}" * 50000, content_type="application/json")),
        ("duplicate keys", dict(data='{"name": "x", "name": 5}', content_type="application/json")),
        ("JSON as text/plain", dict(data='{"name": "Parcs"}', content_type="text/plain")),
        ("JSON as form", dict(data='{"name": "Parcs"}', content_type=FORM)),
        ("random query string", dict(json={}, query_string="name=Parcs&visibility=public&role=facilitator&%5B%5D=&x=%C3%28")),
    ]
    return cases


# --- the scene -------------------------------------------------------------------------


class Scene:
    """The sole facilitator of a private community, and one already-used object for each kind of path id.

    Real ids are chosen so that the actions behind confirm-only buttons are refused or change
    nothing (the sole facilitator's own membership, a decided join request, a revoked
    invitation, a revoked token, an accepted invitation): with CSRF off in tests these
    buttons take no other input, so garbage would otherwise be a valid click.
    """

    def __init__(self, app, factory):
        from hub.accounts import service as accounts
        from hub.accounts.models import ApiToken, User
        from hub.communities import service
        from hub.extensions import db

        self.app = app
        self.fac_id, self.fac_email = factory.user("Fanny Tremblay", organization="Ville de Québec")
        _mid, member_email = factory.user("Élodie Côté")
        _oid, outsider_email = factory.user("Olivier Nadeau")
        self.slug = factory.community(self.fac_email, "Économie sociale à Lévis", visibility="private")
        factory.add_member(self.slug, member_email, "member")
        self.token = factory.token(self.fac_email)
        revoked_raw = factory.token(self.fac_email, "révoqué")
        with app.test_request_context():
            fac = accounts.find_by_email(self.fac_email)
            outsider = accounts.find_by_email(outsider_email)
            community = service.by_slug(self.slug)
            self.session_version = fac.session_version
            self.membership_id = service.membership_of(community, fac).id
            join_request = service.request_to_join(community, outsider, "Bonjour")
            service.decide(join_request, fac, approve=False)
            revoked, _raw, _url = service.invite(community, fac, "retire@exemple.ca")
            service.revoke_invitation(revoked)
            accepted, self.accepted_token, _url = service.invite(community, fac, outsider_email, "observer")
            service.accept_invitation(accepted, outsider)
            token = ApiToken.find_active(revoked_raw)
            accounts.revoke_token(token)
            db.session.commit()
            self.request_id, self.invitation_id, self.token_id = join_request.id, revoked.id, token.id
            self.reset_token = accounts.make_reset_token(db.session.get(User, self.fac_id))
            self.engine = db.engine
            self.tables = [t.name for t in db.metadata.sorted_tables]

    def real_values(self, endpoint, rule):
        by_name = {
            "slug": self.slug, "membership_id": self.membership_id, "request_id": self.request_id,
            "invitation_id": self.invitation_id, "token_id": self.token_id, "user_id": self.fac_id,
            "decision": "approve", "token": self.accepted_token,
        }
        by_endpoint = {("accounts.reset_password", "token"): self.reset_token}
        values = {}
        for name, kind in converters(rule).items():
            fallback = 1 if kind == "IntegerConverter" else self.slug
            values[name] = by_endpoint.get((endpoint, name), by_name.get(name, fallback))
        return values

    @staticmethod
    def nonsense_values(rule):
        """Several sets of nonsense path values (each argument gets the n-th nonsense of its kind)."""
        strings = ["nexiste-pas", "x" * 500, "%C3%A9t%C3%A9-%F0%9F%98%80", "%00", "%FF%FE", "..", "%20"]
        numbers = [0, 987654321, 2 ** 31, 10 ** 30]
        kinds = converters(rule)
        count = max([len(strings) if k != "IntegerConverter" else len(numbers) for k in kinds.values()], default=0)
        return [
            {name: (numbers[i % len(numbers)] if kind == "IntegerConverter" else strings[i % len(strings)]) for name, kind in kinds.items()}
            for i in range(count)
        ]

    def counts(self):
        select = ", ".join(f'(SELECT COUNT(*) FROM "{t}") AS "{t}"' for t in self.tables)
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.text(f"SELECT {select}")).mappings().one())


@pytest.fixture
def scene(app, factory):
    return Scene(app, factory)


ACTORS = ["anonymous", "facilitator"]


def send(app, scene, actor, method, path, api, **kwargs):
    client = app.test_client()
    headers = dict(kwargs.pop("headers", {}))
    if actor == "facilitator":
        if api:
            headers["Authorization"] = f"Bearer {scene.token}"
        else:
            with client.session_transaction() as session:
                session["_user_id"] = f"{scene.fac_id}:{scene.session_version}"
                session["_fresh"] = True
    return client.open(path, method=method, headers=headers, **kwargs)


def check(problems, response, rule, method, label, api, allowed=None):
    """Record what is wrong with this answer to garbage."""
    status = response.status_code
    where = f"{method} {label}"
    if status >= 500:
        problems.append(f"{where}: {status}")
        return
    if allowed is not None and status not in allowed:
        problems.append(f"{where}: {status}, expected one of {sorted(allowed)}")
        return
    if api:
        if not 400 <= status < 500:
            problems.append(f"{where}: {status} for garbage")
            return
        try:
            data = assert_matches_spec(response, method, api_template(rule))
        except AssertionError as error:
            problems.append(f"{where}: {error}")
            return
        if not data["error"]["message"]:
            problems.append(f"{where}: error without a message")
    else:
        if status not in HTML_OK and not 400 <= status < 500:
            problems.append(f"{where}: {status}")
        elif status >= 400 and (response.mimetype != "text/html" or not response.get_data()):
            problems.append(f"{where}: {status} without an error page ({response.mimetype})")


def attack(app, scene, actor, cases_for, path_sets, allowed=None, counts=True):
    """Send every case to every write route; return the list of problems found.

    Row counts of every table are compared before and after the cases of each route.
    """
    problems = []
    for endpoint, rule, method in write_routes(app):
        api = is_api(rule)
        for values in path_sets(endpoint, rule):
            path = fill(rule, values)
            cases = cases_for(rule, method, api)
            before = scene.counts() if counts else None
            for name, kwargs in cases:
                response = send(app, scene, actor, method, path, api, **kwargs)
                check(problems, response, rule, method, f"{path[:80]} [{actor}, {name}]", api, allowed)
            if counts:
                after = scene.counts()
                if after != before:
                    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
                    problems.append(f"{method} {path[:80]} [{actor}, one of {[name for name, _ in cases]}]: rows changed {changed}")
    return problems


def report(problems):
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


# --- the tests -------------------------------------------------------------------------


def test_write_routes_are_enumerated(app):
    routes = {(rule.rule, method) for _e, rule, method in write_routes(app)}
    for expected in [("/api/v1/auth/register", "POST"), ("/api/v1/communities", "POST"),
                     ("/api/v1/invitations/<token>/accept", "POST"), ("/communities/new", "POST"),
                     ("/c/<slug>/invitations", "POST"), ("/login", "POST"), ("/account", "POST")]:
        assert expected in routes
    assert {"email", "password", "display_name", "name", "visibility", "role", "avatar", "timezone"} <= set(all_form_fields())


@pytest.mark.parametrize("actor", ACTORS)
def test_malformed_forms_and_bodies(app, scene, actor):
    fields = all_form_fields()
    problems = attack(
        app, scene, actor,
        cases_for=lambda rule, method, api: form_garbage(api_fields(rule, method) if api else fields),
        path_sets=lambda endpoint, rule: [scene.real_values(endpoint, rule)],
    )
    report(problems)


JSON_TO_PAGES = {"wrong type ['x']", "wrong type {'nested': {'deeper': ['x']}}", "top-level array", "truncated JSON", "deeply nested arrays", "invalid UTF-8 bytes"}


@pytest.mark.parametrize("actor", ACTORS)
def test_malformed_json(app, scene, actor):
    fields = all_form_fields()

    def cases(rule, method, api):
        if api:
            return json_garbage(api_fields(rule, method))
        return [case for case in json_garbage(fields) if case[0] in JSON_TO_PAGES]  # pages refuse JSON outright

    problems = attack(
        app, scene, actor,
        cases_for=cases,
        path_sets=lambda endpoint, rule: [scene.real_values(endpoint, rule)],
    )
    report(problems)


@pytest.mark.parametrize("actor", ACTORS)
def test_nonsense_path_values(app, scene, actor):
    def cases(rule, method, api):
        if api:
            return [("empty object", dict(json={})), ("top-level array", dict(json=[1]))]
        return [("empty form", dict(data=b"", content_type=FORM)), ("invalid UTF-8", dict(data=b"name=%FF", content_type=FORM))]

    problems = attack(app, scene, actor, cases_for=cases, path_sets=lambda endpoint, rule: Scene.nonsense_values(rule))
    report(problems)


@pytest.mark.parametrize("actor", ACTORS)
def test_huge_bodies(app, scene, actor):
    """A 60 MB body is refused with 413 before anything reads it (an anonymous API caller may be
    refused earlier); 2 MB fields get a refusal (413 or 422, or the login redirect for pages)."""

    def sixty_mb(rule, method, api):
        return [("60 MB form", dict(input_stream=io.BytesIO(BIG_BODY), content_length=len(BIG_BODY), content_type=FORM))]

    report(attack(app, scene, actor, cases_for=sixty_mb, path_sets=lambda e, rule: [scene.real_values(e, rule)], allowed={413}, counts=False))

    def sixty_mb_json(rule, method, api):
        return [("60 MB JSON", dict(input_stream=io.BytesIO(BIG_BODY), content_length=len(BIG_BODY), content_type="application/json"))]

    problems = []
    for endpoint, rule, method in write_routes(app):
        if not is_api(rule):
            continue
        path = fill(rule, scene.real_values(endpoint, rule))
        takes_body = "requestBody" in document()["paths"][api_template(rule)[len("/api/v1"):]][method.lower()]
        for _name, kwargs in sixty_mb_json(rule, method, True):
            response = send(app, scene, actor, method, path, True, **kwargs)
            # An anonymous caller may be refused (401/404) before the body is read.
            check(problems, response, rule, method, f"{path} [{actor}, 60 MB JSON]", True, allowed={413} if takes_body and actor == "facilitator" else None)
    report(problems)

    def two_mb(rule, method, api):
        if api:
            return [("2 MB fields, JSON", dict(json={f: HUGE_TEXT for f in api_fields(rule, method)}))]
        return [("2 MB fields, form", dict(data={f: HUGE_TEXT for f in HUGE_FORM_FIELDS}, content_type=FORM))]

    before = scene.counts()
    report(attack(app, scene, actor, cases_for=two_mb, path_sets=lambda e, rule: [scene.real_values(e, rule)], counts=False))
    assert scene.counts() == before


def test_random_query_strings_on_pages(app, scene):
    """Every GET route with malformed or surprising query strings: never a 500."""
    problems = []
    queries = ["q=%00&next=%0D%0ASet-Cookie:x=1", "q=%FF%FE", "next=//evil.example&lang=%E2%80%AE&%5B%5D=&=&&q[]=1", "q=" + "é" * 5000]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = fill(rule, scene.real_values(rule.endpoint, rule))
        for actor in ACTORS:
            for query in queries:
                response = send(app, scene, actor, "GET", path, is_api(rule), query_string=query)
                if response.status_code >= 500:
                    problems.append(f"GET {path}?{query[:40]} [{actor}]: {response.status_code}")
                elif is_api(rule) and response.mimetype == "application/json":  # not a 200 download (the data export)
                    try:
                        assert_matches_spec(response, "get", api_template(rule))
                    except AssertionError as error:
                        problems.append(f"GET {path}?{query[:40]} [{actor}]: {error}")
    report(problems)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_form_post_without_csrf_token_is_a_localized_400(app, scene):
    before = scene.counts()
    client = app.test_client()
    response = client.post("/login", data={"email": scene.fac_email, "password": Factory.password})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and 'data-testid="error-page"' in page
    assert 'lang="fr-CA"' in page and "formulaire" in page.lower()
    english = client.post("/communities/new", data={"name": "Parcs"}, headers={"Accept-Language": "en"})
    assert english.status_code == 400 and "This form has expired" in english.get_data(as_text=True)
    # Logged in, a form without its token changes nothing either.
    send(app, scene, "facilitator", "GET", "/", False)
    response = send(app, scene, "facilitator", "POST", "/communities/new", False, data={"name": "Parcs", "visibility": "public"})
    assert response.status_code == 400
    # The API is not protected by CSRF tokens (bearer tokens are not cookies).
    response = client.post("/api/v1/auth/token", json={"email": scene.fac_email, "password": Factory.password})
    assert response.status_code == 200
    after = scene.counts()
    assert after.pop("api_tokens") == before.pop("api_tokens") + 1
    assert after.pop("audit_entries") == before.pop("audit_entries") + 1  # the token's creation, audited
    assert after == before


NUMERIC_PARAMETERS = ["page", "per_page", "year", "theme", "month", "category", "v", "a", "b", "attached_to", "limit", "offset", "id"]


def test_out_of_range_numbers_in_query_strings_and_paths(app, scene):
    """Every GET route with numbers no column holds (beyond 64 bits, beyond 32, negative, huge) in
    its numeric query parameters and its ids: a page or a JSON error, never a 500."""
    problems = []
    numbers = ["99999999999999999999", "2147483648", "-1", "9" * 5000]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        real = scene.real_values(rule.endpoint, rule)
        paths = [fill(rule, real)]
        ints = [name for name, kind in converters(rule).items() if kind == "IntegerConverter"]
        paths += [fill(rule, {**real, **{name: number for name in ints}}) for number in numbers[:2] if ints]
        for path in paths:
            for number in numbers:
                query = "&".join(f"{name}={number}" for name in NUMERIC_PARAMETERS)
                for actor in ACTORS:
                    response = send(app, scene, actor, "GET", path, is_api(rule), query_string=query)
                    if response.status_code >= 500:
                        problems.append(f"GET {path}?…={number[:20]} [{actor}]: {response.status_code}")
    report(problems)
