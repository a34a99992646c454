"""Schemathesis fuzzes every operation of hub/api/openapi.json against the app, in process.

Each operation gets a fixed number of generated requests (valid and invalid ones, from a fixed seed),
then the stateful phase follows the document's links (create a community, then its threads, polls,
resources and notes…). The checks: no 5xx, every status documented, the documented content type, the
documented schema. Any finding fails the test with the request to replay. Operations added to the
document join on their own.
"""
import os
import random
import time
import uuid

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from tests.api.spec import documented_operations, server_prefix
from tests.conftest import BUILT_APPS, Factory, backends, build_app, create_postgres_database, drop_postgres_database, stop_built_apps

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The budget, per database: generated requests per operation (valid and invalid ones) and stateful
# scenarios; about a minute and a half per database on two cores.
EXAMPLES = int(os.environ.get("HUB_TEST_FUZZ_EXAMPLES", "20"))
SCENARIOS = int(os.environ.get("HUB_TEST_FUZZ_SCENARIOS", "30"))
SEED = 20261202


def _settings(max_examples, **kwargs):
    return hypothesis.settings(
        max_examples=max_examples, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        print_blob=False, **kwargs,
    )


@pytest.fixture(scope="module", params=backends())
def fuzzed(request, tmp_path_factory):
    """The app with an administrator who facilitates one community, and that person's token."""
    from hub.accounts.models import User
    from hub.extensions import db

    folder = tmp_path_factory.mktemp("fuzz")
    name = url = None
    if request.param == "postgres":
        name = f"hub_fuzz_{uuid.uuid4().hex[:8]}"
        url = create_postgres_database(name)
    app = build_app(folder, url)
    BUILT_APPS.remove(app)  # kept for the module's tests; stopped below
    factory = Factory(app)
    user_id, email = factory.user("Martine Tremblay")
    with app.app_context():
        db.session.get(User, user_id).is_admin = True
        db.session.commit()
    factory.community(email, "Approvisionnement responsable", visibility="listed")
    token = factory.token(email)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    yield app, schema, {"Authorization": f"Bearer {token}"}
    BUILT_APPS.append(app)
    stop_built_apps()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if name is not None:
        drop_postgres_database(name)


def _fresh_random():
    """Hypothesis seeds the global random module alike for every example; the app must not see that.
    Whoosh names its index segments with it, and the same name twice breaks the index."""
    random.seed()


def _explain(error):
    """The failures Schemathesis found, with the request to replay (Hypothesis may wrap them in groups)."""
    parts = [f"{type(error).__name__}: {str(error)[:3000]}"]
    for inner in getattr(error, "exceptions", ()):
        parts.append("  " + _explain(inner).replace("\n", "\n  "))
    return "\n".join(parts)


def test_every_operation_holds_under_fuzzing(fuzzed):
    app, schema, headers = fuzzed
    findings, count = [], 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        count += 1
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @_settings(EXAMPLES)
        @hypothesis.seed(SEED)
        @given(case=strategy)
        def fuzz(case):
            _fresh_random()
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as error:  # noqa: BLE001 — every finding is reported, then the test fails
            findings.append(f"{operation.label}: {_explain(error)}")
    print(f"fuzzed {count} operations × {EXAMPLES} examples in {time.monotonic() - started:.0f} s")
    # Every operation but the document's own address, which Schemathesis leaves out.
    assert count == len(documented_operations() - {("GET", server_prefix() + "/openapi.json")})
    assert not findings, f"{len(findings)} operations failed:\n\n" + "\n\n".join(findings)


def test_links_hold_in_the_stateful_phase(fuzzed):
    app, schema, headers = fuzzed
    Machine = schema.as_state_machine()

    class Stateful(Machine):
        def get_call_kwargs(self, case):
            _fresh_random()
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    started = time.monotonic()
    Stateful.run(settings=_settings(SCENARIOS, stateful_step_count=8))
    print(f"stateful: {SCENARIOS} scenarios in {time.monotonic() - started:.0f} s")
