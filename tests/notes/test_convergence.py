"""Property: whatever the interleaving of edits, deliveries and reconnections of several clients,
every copy converges, and the revision written when the last editor leaves is the converged text."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.notes.conftest import create
from tests.notes.test_live import Editor, note_row

WORDS = st.text(alphabet="abcdéèàç xyz\n😀", min_size=1, max_size=6)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(0, 3), st.floats(0, 1), WORDS),
        st.tuples(st.just("delete"), st.integers(0, 3), st.floats(0, 1), st.integers(1, 4)),
        st.tuples(st.just("send"), st.integers(0, 3)),
        st.tuples(st.just("receive"), st.integers(0, 3)),
        st.tuples(st.just("reconnect"), st.integers(0, 3)),
    ),
    max_size=30,
)


def delete(editor, fraction, count):
    value = editor.value
    if not value:
        return
    start = min(int(fraction * len(value)), len(value) - 1)
    stop = min(len(value), start + count)
    a, b = len(value[:start].encode()), len(value[:stop].encode())
    del editor.text[a:b]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(clients=st.integers(2, 4), operations=OPERATIONS)
def test_random_interleavings_converge_and_persist(app, cast, clients, operations):
    from hub.extensions import socketio

    people = ["owner", "julie", "karim"]
    note_id = create(app.test_client(), cast, body="Départ\n", visibility="community")
    editors = [Editor(app, cast.emails[people[i % len(people)]], note_id) for i in range(clients)]
    for editor in editors:
        assert editor.join()["ok"]
    for operation in operations:
        editor = editors[operation[1] % clients]
        kind = operation[0]
        if kind == "insert":
            value = editor.value
            editor.type(int(operation[2] * len(value)), operation[3], send=False)
        elif kind == "delete":
            delete(editor, operation[2], operation[3])
        elif kind == "send":
            assert all(ack == {"ok": True} for ack in editor.flush())
        elif kind == "receive":
            editor.receive()
        elif kind == "reconnect":  # offline edits travel through the state-vector exchange
            editor.socket.disconnect()
            editor.outbox.clear()
            editor.socket = socketio.test_client(app, flask_test_client=editor.http)
            assert editor.join()["ok"]
    for editor in editors:
        editor.flush()
    for editor in editors:
        editor.receive()
    values = {editor.value for editor in editors}
    assert len(values) == 1, values
    converged = values.pop()
    for editor in editors:
        editor.socket.disconnect()
    body, _revision, _state = note_row(app, note_id)
    assert body == converged
