"""A demo community of practice: officers of six Quebec cities (texts written for the demo)."""
from .accounts import service as accounts
from .communities import service as communities
from .communities.models import Membership
from .extensions import db

DEMO_PASSWORD = "demo-hub-2026"

PEOPLE = [
    # email, name, organisation, title, expertise, role
    ("sophie.gagnon@exemple.ca", "Sophie Gagnon", "Ville de Montréal", "Conseillère en développement de l'économie sociale",
     "approvisionnement responsable, habitation communautaire", "facilitator"),
    ("marc.tremblay@exemple.ca", "Marc Tremblay", "Ville de Gatineau", "Commissaire au développement économique",
     "financement, revitalisation des artères commerciales", "facilitator"),
    ("julie.roy@exemple.ca", "Julie Roy", "Ville de Lévis", "Agente de développement social",
     "itinérance, logement social", "member"),
    ("karim.benali@exemple.ca", "Karim Benali", "Ville de Laval", "Conseiller en économie sociale",
     "matières résiduelles, économie circulaire", "member"),
    ("isabelle.cote@exemple.ca", "Isabelle Côté", "Ville de Sherbrooke", "Coordonnatrice du développement des communautés",
     "gestion des parcs, concertation", "member"),
    ("francois.bergeron@exemple.ca", "François Bergeron", "Ville de Québec", "Conseiller en développement économique",
     "règlements municipaux, programmes de financement", "member"),
    ("nadia.lavoie@exemple.ca", "Nadia Lavoie", "Ministère de l'Économie", "Conseillère aux politiques",
     "politiques publiques", "guest"),
    ("luc.pelletier@exemple.ca", "Luc Pelletier", "TIESS", "Agent de liaison et de transfert",
     "transfert de connaissances, évaluation", "observer"),
]

MISSION = (
    "Réunir les personnes responsables du développement de l'économie sociale dans les villes du Québec "
    "pour partager ce que chaque ville essaie : politiques d'achat responsable, règlements qui facilitent "
    "les projets d'habitation en économie sociale, gestion de parcs confiée à des entreprises collectives, "
    "programmes de financement."
)
VALUES = (
    "Leadership partagé : chaque membre peut proposer un sujet de rencontre.\n"
    "Rencontres informelles, au besoin, souvent à distance.\n"
    "On partage les bons et les mauvais coups, sans jugement."
)


def load_demo():
    users = {}
    for email, name, organization, title, expertise, _role in PEOPLE:
        user = accounts.find_by_email(email) or accounts.register(email, DEMO_PASSWORD, name, organization, title)
        user.expertise = expertise
        user.languages = "français, anglais"
        users[email] = user
    admin = accounts.find_by_email("admin@exemple.ca") or accounts.register("admin@exemple.ca", DEMO_PASSWORD, "Administration du hub", "Hub")
    admin.is_admin = True

    founder = users[PEOPLE[0][0]]
    community = communities.by_slug("es-municipale") or communities.create(
        founder, "CP Économie sociale municipale", MISSION, VALUES, "listed", slug="es-municipale"
    )
    for email, *_rest, role in PEOPLE[1:]:
        if communities.membership_of(community, users[email]) is None:
            db.session.add(Membership(community=community, user=users[email], role=role))

    showcase = communities.by_slug("achat-responsable") or communities.create(
        users["karim.benali@exemple.ca"], "Réseau approvisionnement responsable",
        "Un espace ouvert pour documenter les politiques d'approvisionnement responsable des municipalités "
        "et les achats auprès des entreprises d'économie sociale.",
        "Transparence, partage des gabarits, entraide.", "public", slug="achat-responsable",
    )
    if communities.membership_of(showcase, users["sophie.gagnon@exemple.ca"]) is None:
        db.session.add(Membership(community=showcase, user=users["sophie.gagnon@exemple.ca"], role="member"))
    db.session.commit()
    return community
