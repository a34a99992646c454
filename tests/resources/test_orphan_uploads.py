"""Files an interrupted upload leaves in the upload folder go after an hour; nothing else does."""
import io
import os
import time
from pathlib import Path

from werkzeug.datastructures import FileStorage

from tests.resources.test_resources import community, resource_id, upload  # noqa: F401  (fixture)

HOUR = 60 * 60


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def _interrupted_upload(app, slug, text):
    """A file stored as an upload stores it, whose row never lands: the server died before its commit."""
    from hub.accounts.models import User
    from hub.communities import service as communities
    from hub.extensions import db
    from hub.resources import service

    with app.test_request_context():
        author = db.session.execute(db.select(User).limit(1)).scalar_one()
        resource = service.create(communities.by_slug(slug), author, {"title": "Brouillon", "type": "policy", "language": "fr"},
                                  file=FileStorage(io.BytesIO(text.encode()), filename="brouillon.txt"))
        path = service.blob_path(resource.current_version)
        db.session.rollback()
    assert path.exists()
    return path


def test_the_worker_removes_orphan_uploads_older_than_an_hour(app, community):  # noqa: F811
    from hub.notifications.mail import PERIODIC, run_periodic

    folder = Path(app.config["UPLOAD_FOLDER"])
    member = community["clients"]["member"]
    response = upload(member, community["slug"], filename="politique.txt", content="Politique d'achat responsable.".encode())
    assert response.status_code == 302
    kept = next(p for p in folder.glob("*/*") if p.is_file())
    orphan = _interrupted_upload(app, community["slug"], "Procès-verbal jamais enregistré")
    recent = _interrupted_upload(app, community["slug"], "Envoi en cours")
    partial = folder / ".upload-interrompu"
    partial.write_bytes(b"moitie d'un fichier")
    other = folder / "LISEZMOI.txt"
    other.write_text("Pas un envoi.")
    for path in (kept, orphan, partial, other):
        _age(path, 2 * HOUR)
    _age(recent, HOUR - 60)

    assert "orphan-uploads" in PERIODIC
    with app.app_context():
        run_periodic(app, {})
    assert not orphan.exists() and not partial.exists()
    assert kept.exists() and recent.exists() and other.exists()
    download = member.get(f"/resources/{resource_id(response)}/download")
    assert download.status_code == 200 and download.data == "Politique d'achat responsable.".encode()


def test_a_file_reused_by_a_new_upload_is_not_an_orphan(app, community):  # noqa: F811
    """Uploading the bytes of an old orphan again refreshes its file: a sweep running before the new
    row's commit leaves it."""
    from hub.resources import storage

    orphan = _interrupted_upload(app, community["slug"], "Même contenu")
    _age(orphan, 2 * HOUR)
    with app.app_context():
        sha, _size, path = storage.save_stream(app.config["UPLOAD_FOLDER"], io.BytesIO("Même contenu".encode()), 10**6)
    assert path == orphan
    with app.app_context():
        assert storage.sweep(app.config["UPLOAD_FOLDER"], set()) == []
    assert orphan.exists()


def test_flask_hub_clean_uploads(app, community):  # noqa: F811
    orphan = _interrupted_upload(app, community["slug"], "Compte rendu perdu")
    _age(orphan, 2 * HOUR)
    result = app.test_cli_runner().invoke(args=["hub", "clean-uploads"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output and not orphan.exists()
