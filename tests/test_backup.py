"""`flask hub backup` and `flask hub restore`: a backup of a hub holding data, restored into a new
empty instance, serves the same pages, the same files byte for byte and the same search results."""
import io
import json
import re
import tarfile
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import BUILT_APPS, create_postgres_database, drop_postgres_database, login, make_config, stop_built_apps
from tests.resources.test_extraction import make_pdf, pdf_text_stream
from tests.resources.test_resources import make_docx, resource_id, upload

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00"
       b"\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def target_url(backend, tmp_path):
    """The database of the new, empty instance: a SQLite file not yet created, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'instance' / 'hub.sqlite3'}"
        return
    name = f"hub_restore_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(name)
    yield url
    stop_built_apps()
    drop_postgres_database(name)


def new_instance(tmp_path, url):
    from hub import create_app

    (tmp_path / "restored" / "instance").mkdir(parents=True)
    app = create_app(make_config(tmp_path / "restored", url))
    BUILT_APPS.append(app)
    return app


def _api(client, method, path, token, **json_body):
    response = client.open(path, method=method, json=json_body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]
    return response.get_json()


@pytest.fixture
def hub_with_data(app, factory):
    """A community with resources (a PDF and a DOCX), notes, a thread with replies, a meeting and an avatar."""
    from hub.accounts import service as accounts
    from hub.extensions import db

    _sid, sophie = factory.user("Sophie Gagnon")
    _jid, julie = factory.user("Julie Roy")
    slug = factory.community(sophie, "CP Économie sociale municipale")
    factory.add_member(slug, julie)
    tokens = {"sophie": factory.token(sophie), "julie": factory.token(julie)}
    client = app.test_client()
    login(client, julie)

    pdf = make_pdf([pdf_text_stream(["Grille d'approvisionnement responsable", "Clauses sociales pour les coopératives"])])
    docx = make_docx("Récit d'implantation : la fiducie foncière communautaire de Sherbrooke.\nBons et mauvais coups.")
    created = upload(client, slug, content=pdf, filename="grille.pdf", title="Grille d'approvisionnement responsable")
    assert created.status_code == 302
    pdf_resource = resource_id(created)
    created = upload(client, slug, content=docx, filename="recit.docx", title="Fiducie foncière à Sherbrooke", type="case_study")
    assert created.status_code == 302
    docx_resource = resource_id(created)

    note = _api(client, "POST", f"/api/v1/communities/{slug}/notes", tokens["sophie"], title="Compte rendu de janvier",
                body="# Présences\n\n- Lévis\n- Gatineau\n\nSuivi : **approvisionnement responsable**.", visibility="community")
    thread = _api(client, "POST", f"/api/v1/communities/{slug}/threads", tokens["julie"], title="Approvisionnement responsable",
                  body="Qui a une politique d'achat auprès des entreprises d'économie sociale ?")
    for who, body in (("sophie", "À Montréal, une grille de pondération. #grille"), ("julie", "Merci ! Voir #ressource-%d" % pdf_resource)):
        _api(client, "POST", f"/api/v1/threads/{thread['id']}/posts", tokens[who], body=body)
    day = (datetime.now(timezone.utc) + timedelta(days=9)).date().isoformat()
    poll = _api(client, "POST", f"/api/v1/communities/{slug}/polls", tokens["sophie"], title="Rencontre sur les parcs",
                duration_minutes=60, timezone="America/Toronto", slots=[f"{day}T10:00", f"{day}T14:00"])
    meeting = _api(client, "POST", f"/api/v1/polls/{poll['id']}/finalize", tokens["sophie"], slot_id=poll["slots"][0]["id"])
    with app.app_context():
        accounts.set_avatar(accounts.find_by_email(julie), io.BytesIO(PNG))
        db.session.commit()
    return {
        "slug": slug, "julie": julie, "pdf": pdf, "docx": docx, "resources": (pdf_resource, docx_resource), "note": note["id"],
        "thread": thread["id"], "meeting": meeting["meeting_id"],
    }


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["hub", *args], catch_exceptions=False)


_VARYING = [
    re.compile(r'name="csrf_token"[^>]*value="[^"]*"'),
    re.compile(r'<meta name="csrf-token" content="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
    re.compile(r'data-csrf="[^"]*"'),
]


def _page(app, email, path):
    client = app.test_client()
    login(client, email)
    response = client.get(path)
    assert response.status_code == 200, path
    text = response.get_data(as_text=True)
    for pattern in _VARYING:
        text = pattern.sub("", text)
    return text


def _search(app, email, text):
    from hub import search
    from hub.accounts import service as accounts
    from hub.extensions import db

    with app.test_request_context():
        try:
            return [(f"{hit.kind}:{hit.id}", hit.title, hit.snippet) for hit in search.search(accounts.find_by_email(email), text).hits]
        finally:
            db.session.remove()


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_restored_backup_serves_the_same_pages_files_and_search_results(app, hub_with_data, tmp_path, target_url, backend):
    data = hub_with_data
    archive = tmp_path / "sauvegarde.tar.gz"
    result = _invoke(app, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert re.fullmatch(r"[0-9a-f]{12}", manifest["hub_revision"])
    assert manifest["missing_files"] == [] and manifest["referenced_files"] == 3  # two uploads and one avatar
    assert manifest["tables"]["posts"] == 3 and manifest["tables"]["meetings"] == 1 and manifest["tables"]["notes"] == 1
    assert not any("search-index" in name for name in names)
    assert any(name.startswith("files/instance/avatars/") for name in names)
    for name, member in manifest["members"].items():
        assert name in names and len(member["sha256"]) == 64

    restored = new_instance(tmp_path, target_url)
    result = _invoke(restored, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output

    julie = data["julie"]
    pdf_resource, docx_resource = data["resources"]
    for path in (f"/threads/{data['thread']}", f"/resources/{pdf_resource}", f"/resources/{docx_resource}",
                 f"/notes/{data['note']}", f"/meetings/{data['meeting']}", f"/c/{data['slug']}/resources"):
        assert _page(restored, julie, path) == _page(app, julie, path), path
    thread_page = _page(restored, julie, f"/threads/{data['thread']}")
    assert "grille de pondération" in thread_page and "Approvisionnement responsable" in thread_page

    for resource, original in ((pdf_resource, data["pdf"]), (docx_resource, data["docx"])):
        client = restored.test_client()
        login(client, julie)
        assert client.get(f"/resources/{resource}/download").data == original
    for area in ("uploads", "avatars"):
        source, copy = _files(tmp_path / "instance" / area), _files(tmp_path / "restored" / "instance" / area)
        assert source and copy == source, area

    for words in ("approvisionnement", "coopératives", "fiducie", "parcs", "présences"):
        # The same hits (their order by relevance may differ: a rebuilt index weighs terms over fresh statistics).
        found = sorted(_search(restored, julie, words))
        assert found and found == sorted(_search(app, julie, words)), words
    assert any(key == f"resource:{pdf_resource}" for key, _title, _snippet in _search(restored, julie, "coopératives"))  # text of the PDF

    # New rows of the restored hub take new ids (PostgreSQL's sequences continue after the restored ones).
    client = restored.test_client()
    login(client, julie)
    reply = client.post(f"/threads/{data['thread']}/reply", data={"body": "Après la restauration."})
    assert reply.status_code in (302, 303), reply.get_data(as_text=True)[:300]
    assert "Après la restauration." in _page(restored, julie, f"/threads/{data['thread']}")


def test_restore_refuses_a_database_that_holds_data(app, hub_with_data, tmp_path):
    from hub.extensions import db
    from hub.discussions.models import Post

    archive = tmp_path / "sauvegarde.tar.gz"
    assert _invoke(app, "backup", str(archive)).exit_code == 0
    result = app.test_cli_runner().invoke(args=["hub", "restore", str(archive)])
    assert result.exit_code != 0
    assert "already holds data" in result.output and "Nothing was changed" in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Post.id))).scalar_one() == 3
        db.session.remove()


def test_restore_refuses_a_damaged_archive(app, hub_with_data, tmp_path, target_url):
    archive = tmp_path / "sauvegarde.tar.gz"
    assert _invoke(app, "backup", str(archive)).exit_code == 0
    folder = tmp_path / "extracted"
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    upload_file = next((folder / "files" / "uploads").rglob("*"), None)
    while upload_file is not None and upload_file.is_dir():
        upload_file = next(upload_file.iterdir())
    upload_file.write_bytes(upload_file.read_bytes() + b"!")
    restored = new_instance(tmp_path, target_url)
    result = restored.test_cli_runner().invoke(args=["hub", "restore", str(folder)])
    assert result.exit_code != 0 and "does not match its checksum" in result.output


def test_a_backup_taken_while_people_post_is_consistent(app, hub_with_data, tmp_path, target_url):
    """The hub keeps serving during the backup: replies go on being written, and the archive holds a
    consistent state (every post of the restored thread belongs to it, the thread's count matches)."""
    import threading

    from hub.discussions.models import Post, Thread
    from hub.extensions import db

    data = hub_with_data
    stop = threading.Event()
    written = []

    def keep_posting():
        client = app.test_client()
        login(client, data["julie"])
        n = 0
        while not stop.is_set():
            n += 1
            response = client.post(f"/threads/{data['thread']}/reply", data={"body": f"Réponse pendant la sauvegarde {n}"})
            written.append(response.status_code)

    writer = threading.Thread(target=keep_posting, daemon=True)
    writer.start()
    try:
        while len(written) < 3:
            threading.Event().wait(0.05)
        archive = tmp_path / "pendant.tar.gz"
        result = _invoke(app, "backup", str(archive))
        assert result.exit_code == 0, result.output
        before_stop = len(written)
    finally:
        stop.set()
        writer.join(30)
    assert set(written) <= {302, 303} and before_stop >= 3

    restored = new_instance(tmp_path, target_url)
    assert _invoke(restored, "restore", str(archive)).exit_code == 0
    with restored.app_context():
        posts = db.session.execute(sa.select(sa.func.count(Post.id)).where(Post.thread_id == data["thread"])).scalar_one()
        thread = db.session.get(Thread, data["thread"])
        assert 3 < posts <= 3 + len(written)
        assert thread.post_count == posts  # the thread row and its posts from the same instant
        db.session.remove()
    page = _page(restored, data["julie"], f"/threads/{data['thread']}")
    assert "Réponse pendant la sauvegarde 1" in page
