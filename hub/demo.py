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


THEMES = [
    "Approvisionnement responsable", "Habitation", "Gestion des parcs", "Matières résiduelles",
    "Itinérance", "Revitalisation commerciale", "Financement",
]

RESOURCES = [
    {
        "title": "Politique d'approvisionnement responsable : ouvrir les achats municipaux aux entreprises d'économie sociale",
        "type": "policy", "municipality": "Ville de Montréal", "year": 2024, "themes": ["Approvisionnement responsable"],
        "source_organization": "Ville de Montréal", "licence": "CC BY 4.0",
        "summary": "Les grandes lignes d'une politique qui réserve une part des contrats de gré à gré aux "
                   "**entreprises d'économie sociale** et simplifie les appels d'offres pour les petits fournisseurs.",
        "url": "https://exemple.ca/politique-approvisionnement",
    },
    {
        "title": "Confier l'entretien d'un parc à une coopérative de solidarité",
        "type": "case_study", "municipality": "Ville de Sherbrooke", "year": 2023, "themes": ["Gestion des parcs"],
        "source_organization": "Ville de Sherbrooke", "tags": "coopérative, entente de services",
        "summary": "Récit d'implantation d'une entente de trois ans entre la Ville et une coopérative de solidarité du quartier.",
        "story_context": "Un parc de quartier peu fréquenté, un comité de citoyens actif et une coopérative qui cherchait un contrat stable.",
        "story_actions": "Entente de services de trois ans : entretien, animation estivale et location d'équipements.",
        "story_steps": "Six mois de préparation : consultation du quartier, avis juridique, adoption au conseil, démarrage au printemps.",
        "story_results": "Fréquentation doublée la première année, huit emplois saisonniers, entretien jugé meilleur par les citoyens.",
        "story_lessons": "Bon coup : le comité de suivi mensuel. Mauvais coup : l'entretien d'hiver n'était pas prévu au contrat.",
        "story_contacts": "Isabelle Côté, coordonnatrice du développement des communautés",
    },
    {
        "title": "Règlement facilitant les projets d'habitation communautaire en économie sociale",
        "type": "policy", "municipality": "Ville de Québec", "year": 2022, "themes": ["Habitation"],
        "source_organization": "Ville de Québec",
        "summary": "Un règlement qui accorde des dérogations de stationnement et un traitement accéléré "
                   "des permis aux coopératives et OBNL d'habitation.",
        "url": "https://exemple.ca/reglement-habitation",
    },
    {
        "title": "Programme de soutien aux entreprises d'économie sociale — guide du demandeur",
        "type": "funding", "municipality": "Ville de Gatineau", "year": 2025, "themes": ["Financement"],
        "source_organization": "Ville de Gatineau",
        "summary": "Subventions de démarrage et de consolidation, critères d'admissibilité et calendrier des appels de projets.",
        "url": "https://exemple.ca/programme-soutien",
    },
    {
        "title": "Ressourcerie et matières résiduelles : bons et mauvais coups d'un partenariat municipal",
        "type": "good_practice", "municipality": "Ville de Laval", "year": 2024, "themes": ["Matières résiduelles"],
        "source_organization": "Ville de Laval",
        "summary": "Ce qui a fonctionné quand la Ville a confié la collecte des encombrants réutilisables à une ressourcerie.",
        "story_lessons": "Bon coup : un point de dépôt à l'écocentre. Mauvais coup : des volumes sous-estimés la première année.",
        "url": "https://exemple.ca/ressourcerie",
    },
]


def _load_resources(community, author):
    from .resources import service as resources
    from .resources.models import Resource

    if db.session.execute(db.select(Resource.id).filter_by(community_id=community.id).limit(1)).first():
        return
    themes = {t.name: t for t in resources.themes_of(community)}
    for name in THEMES:
        if name not in themes:
            themes[name] = resources.add_theme(community, name)
    db.session.flush()
    for item in RESOURCES:
        data = {k: v for k, v in item.items() if k not in ("themes", "url")}
        data.setdefault("language", "fr")
        resources.create(community, author, data, [themes[n] for n in item["themes"]], url=item.get("url"))


def _first_tuesday_after(today):
    from datetime import timedelta

    day = today.replace(day=1)
    while True:
        first = day + timedelta(days=(1 - day.weekday()) % 7)  # Tuesday is weekday 1
        if first > today:
            return first
        day = (day + timedelta(days=32)).replace(day=1)


def _load_meetings(community, users):
    """A monthly meeting with an open agenda, a poll in progress and an event of interest.
    The invitations they would send are not queued: nobody is waiting for demo emails."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from .meetings import service as meetings
    from .meetings.models import Meeting
    from .notifications.models import OutgoingEmail
    from .timeutil import utcnow

    if db.session.execute(db.select(Meeting.id).filter_by(community_id=community.id).limit(1)).first():
        return
    zone = ZoneInfo("America/Toronto")
    last_email = db.session.execute(db.select(db.func.max(OutgoingEmail.id))).scalar() or 0
    today = utcnow().astimezone(zone).date()
    sophie, marc = users["sophie.gagnon@exemple.ca"], users["marc.tremblay@exemple.ca"]

    first_tuesday = datetime.combine(_first_tuesday_after(today), time(9, 30), tzinfo=zone)
    monthly = meetings.create_meeting(
        community, sophie, title="Rencontre mensuelle de la communauté de pratique",
        description="Tour de table des villes, puis les sujets proposés par les membres. Pas d'ordre du jour fixe : "
                    "proposez vos sujets ci-dessous.",
        start=first_tuesday.astimezone(ZoneInfo("UTC")), end=(first_tuesday + timedelta(hours=1, minutes=30)).astimezone(ZoneInfo("UTC")),
        tz_name="America/Toronto", remote_url="https://teams.exemple.ca/cp-es-municipale",
        rrule="FREQ=MONTHLY;BYDAY=1TU",
    )
    topics = [
        (users["julie.roy@exemple.ca"], "Bilan de la halte-chaleur de Lévis", "Ce qui a fonctionné avec les organismes en itinérance cet hiver."),
        (users["karim.benali@exemple.ca"], "Ressourceries et collecte des encombrants", "Entente avec une entreprise d'économie sociale à Laval."),
        (users["francois.bergeron@exemple.ca"], "Clauses sociales dans les appels d'offres", ""),
    ]
    for author, title, details in topics:
        meetings.propose_topic(monthly, author, title, details)
    clauses = monthly.agenda_items[-1]
    for supporter in (sophie, marc, users["isabelle.cote@exemple.ca"]):
        meetings.toggle_support(clauses, supporter)

    candidates = []
    for offset in (8, 9, 10):
        day = today + timedelta(days=offset)
        for hour in (10, 14):
            start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(ZoneInfo("UTC"))
            candidates.append((start, start + timedelta(hours=1)))
    poll, _links = meetings.create_poll(
        community, marc, title="Atelier : règlements municipaux et projets d'habitation en économie sociale",
        description="Un atelier d'une heure pour comparer nos règlements de zonage et nos programmes d'aide.",
        duration_minutes=60, tz_name="America/Toronto", slots=candidates, remote_url="https://zoom.exemple.ca/j/4815",
    )
    answers = {
        "julie.roy@exemple.ca": ["yes", "no", "ifneedbe", "yes", "no", "no"],
        "karim.benali@exemple.ca": ["yes", "yes", "no", "ifneedbe", "yes", "no"],
        "isabelle.cote@exemple.ca": ["ifneedbe", "yes", "yes", "no", "yes", "no"],
    }
    for email, values in answers.items():
        invitee = meetings.invitee_for(poll, users[email])
        meetings.answer(poll, invitee, {slot.id: value for slot, value in zip(poll.slots, values)})

    forum_day = datetime.combine(today + timedelta(days=24), time(8, 30), tzinfo=zone)
    meetings.create_meeting(
        community, users["isabelle.cote@exemple.ca"], kind="event", title="Forum régional de l'économie sociale de l'Estrie",
        description="Conférences et ateliers sur l'économie sociale en milieu municipal; inscription gratuite.",
        start=forum_day.astimezone(ZoneInfo("UTC")), end=(forum_day + timedelta(hours=8)).astimezone(ZoneInfo("UTC")),
        tz_name="America/Toronto", location="Centre de foires de Sherbrooke",
    )
    db.session.execute(db.delete(OutgoingEmail).where(OutgoingEmail.id > last_email))


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
    _load_resources(community, founder)
    db.session.flush()
    _load_meetings(community, users)
    from .discussions import demo as discussions_demo

    discussions_demo.load(community, users)
    from .notes import demo as notes_demo

    notes_demo.load(community, users)
    _load_activity(community, users)
    db.session.commit()
    return community


def _load_activity(community, users):
    """What the community's feed tells: members who joined, follow-ups of the last meeting, and every
    item spread over the last three weeks in the order things were done (the loaders above ran in a
    second)."""
    from datetime import timedelta

    from . import activity
    from .activity.models import ActivityItem
    from .meetings import service as meetings
    from .meetings.models import Meeting
    from .timeutil import utcnow

    if db.session.execute(db.select(ActivityItem.id).filter_by(community_id=community.id, kind="member").limit(1)).first():
        return
    db.session.flush()
    for email, *_rest in PEOPLE[1:]:
        activity.record("member", communities.membership_of(community, users[email]), "joined", users[email], community)
    monthly = db.session.execute(db.select(Meeting).filter_by(community_id=community.id, kind="meeting").order_by(Meeting.id).limit(1)).scalar()
    if monthly is not None:
        sophie, karim = users["sophie.gagnon@exemple.ca"], users["karim.benali@exemple.ca"]
        sent = meetings.add_follow_up(monthly, sophie, "Envoyer le gabarit de clauses sociales aux membres", "Sophie Gagnon")
        meetings.add_follow_up(monthly, karim, "Inviter la ressourcerie de Laval à la prochaine rencontre", "Karim Benali")
        sent.done_at = utcnow()
        activity.record("followup", sent, "done", sophie, community)
    db.session.flush()
    items = db.session.execute(db.select(ActivityItem).filter_by(community_id=community.id).order_by(ActivityItem.id)).scalars().all()
    items.sort(key=lambda item: item.kind != "member")
    now = utcnow()
    for index, item in enumerate(items):
        # Joins first, three weeks ago; then a few hours between actions, the last one this morning.
        at = now - timedelta(days=21) + (timedelta(days=21) - timedelta(hours=2)) * index / max(1, len(items) - 1)
        item.first_at = item.at = at
