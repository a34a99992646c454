"""Demo discussions for the demo community (called by hub.demo.load_demo)."""
import sqlalchemy as sa

from ..extensions import db

THREADS = [
    ("sophie.gagnon@exemple.ca", "Politique d'approvisionnement responsable : où en êtes-vous ?", True, [
        ("sophie.gagnon@exemple.ca",
         "Bonjour à toutes et à tous,\n\nMontréal révise sa politique d'approvisionnement responsable. "
         "Quelles clauses sociales avez-vous adoptées pour favoriser les entreprises d'économie sociale ? "
         "@julie-roy, Lévis a fait un projet pilote l'an dernier, non ? #approvisionnement"),
        ("julie.roy@exemple.ca",
         "Oui ! Nous avons réservé certains contrats de gré à gré sous le seuil aux entreprises d'économie sociale "
         "(entretien paysager, traiteur). Les **bons coups** : simplicité, délais courts. Les **mauvais coups** : "
         "peu d'entreprises inscrites au départ. Le TIESS nous a aidés à documenter la démarche."),
        ("karim.benali@exemple.ca",
         "À Laval, nous ajoutons une pondération de 10 % pour la valeur sociale dans certains appels d'offres. "
         "Je peux partager la grille d'évaluation à la prochaine rencontre. #grille"),
    ]),
    ("marc.tremblay@exemple.ca", "Règlement municipal et habitation communautaire", False, [
        ("marc.tremblay@exemple.ca",
         "Gatineau prépare un règlement pour faciliter les projets d'habitation en économie sociale (coopératives, OBNL). "
         "Quelqu'un a-t-il une expérience de zonage incitatif ? #habitation"),
        ("isabelle.cote@exemple.ca",
         "Sherbrooke a accordé des dérogations mineures accélérées pour deux coopératives. "
         "La CDÉC a accompagné les groupes pour le montage financier."),
    ]),
]


def load(community, users):
    """Two discussions with replies, mentions and tags; no email leaves for them."""
    from ..notifications.models import Notification, OutgoingEmail
    from ..timeutil import utcnow
    from . import service
    from .models import Thread

    if db.session.execute(sa.select(Thread.id).where(Thread.community_id == community.id).limit(1)).first():
        return
    last_email = db.session.execute(sa.select(sa.func.max(OutgoingEmail.id))).scalar() or 0
    for author, title, question, posts in THREADS:
        first_author, first_body = posts[0]
        thread, _post = service.create_thread(community, users[first_author], title, first_body, is_question=question)
        for who, body in posts[1:]:
            service.reply(thread, users[who], body)
    db.session.flush()
    db.session.execute(sa.delete(OutgoingEmail).where(OutgoingEmail.id > last_email))
    db.session.execute(sa.update(Notification).where(Notification.emailed_at.is_(None)).values(emailed_at=utcnow()))
