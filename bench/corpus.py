"""A deterministic synthetic corpus for the search benchmark, and the queries run against it.

French first (about 90 % of documents), English for the rest. Sentences are assembled from word
lists with agreement (gender, number), plural nouns, feminine adjectives and conjugated verbs, so
an analyzer that stems ("coopératives" ~ "coopérative", "financé" ~ "financement"?) finds more than
one that only folds accents. Every document is derived from (seed, number) alone: any process can
regenerate document 73 412 without generating the 73 411 before it.

All texts below were written for this benchmark.
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# --- French vocabulary -------------------------------------------------------------------
# Nouns: "singular|plural|gender". Topic lists carry the vocabulary of one theme.


def _nouns(text):
    out = []
    for line in text.strip().splitlines():
        sg, pl, g = (p.strip() for p in line.split("|"))
        out.append((sg, pl, g))
    return out


def _phrases(text):
    """Noun phrases: "text|gender|number" (number: s or p)."""
    out = []
    for line in text.strip().splitlines():
        t, g, n = (p.strip() for p in line.split("|"))
        out.append((t, g, n))
    return out


TOPICS = {
    "approvisionnement": {
        "theme": "Approvisionnement responsable",
        "nouns": _nouns("""
            fournisseur|fournisseurs|m
            achat|achats|m
            contrat|contrats|m
            appel d'offres|appels d'offres|m
            soumission|soumissions|f
            clause|clauses|f
            critère|critères|m
            bon de commande|bons de commande|m
            acheteuse|acheteuses|f
            acheteur|acheteurs|m
            traiteur|traiteurs|m
            seuil|seuils|m
        """),
        "phrases": _phrases("""
            approvisionnement responsable|m|s
            politique d'achat local|f|s
            clauses sociales|f|p
            marchés publics|m|p
            achat groupé|m|s
            grille d'évaluation des soumissions|f|s
        """),
        "en": ["responsible procurement", "local purchasing policy", "social clauses", "public tender", "supplier diversity"],
        "title_fr": ["l'approvisionnement responsable", "les achats auprès des entreprises d'économie sociale", "les clauses sociales dans les contrats municipaux", "une politique d'achat local"],
        "title_en": ["responsible procurement", "buying from social economy enterprises", "social clauses in municipal contracts"],
    },
    "habitation": {
        "theme": "Habitation",
        "nouns": _nouns("""
            logement|logements|m
            locataire|locataires|m
            loyer|loyers|m
            coopérative d'habitation|coopératives d'habitation|f
            immeuble|immeubles|m
            terrain|terrains|m
            propriétaire|propriétaires|m
            ménage|ménages|m
            chambre|chambres|f
            résidence|résidences|f
            habitation|habitations|f
            rénovation|rénovations|f
        """),
        "phrases": _phrases("""
            habitation communautaire|f|s
            logement social|m|s
            logements abordables|m|p
            fiducie foncière communautaire|f|s
            office municipal d'habitation|m|s
            règlement d'inclusion|m|s
        """),
        "en": ["community housing", "affordable housing", "housing cooperative", "community land trust", "social housing"],
        "title_fr": ["l'habitation communautaire", "une coopérative d'habitation", "le logement abordable", "une fiducie foncière communautaire"],
        "title_en": ["community housing", "a housing cooperative", "affordable housing"],
    },
    "parcs": {
        "theme": "Gestion des parcs",
        "nouns": _nouns("""
            parc|parcs|m
            sentier|sentiers|m
            jardin communautaire|jardins communautaires|m
            arbre|arbres|m
            pelouse|pelouses|f
            aire de jeux|aires de jeux|f
            patinoire|patinoires|f
            pavillon|pavillons|m
            plantation|plantations|f
            ruelle|ruelles|f
            horticultrice|horticultrices|f
            horticulteur|horticulteurs|m
        """),
        "phrases": _phrases("""
            gestion des parcs|f|s
            espaces verts|m|p
            canopée urbaine|f|s
            entretien écologique|m|s
            verdissement des ruelles|m|s
        """),
        "en": ["park management", "green spaces", "urban canopy", "community garden", "green alleys"],
        "title_fr": ["la gestion des parcs", "le verdissement des ruelles", "les jardins communautaires", "l'entretien écologique des espaces verts"],
        "title_en": ["park management", "greening back alleys", "community gardens"],
    },
    "residuelles": {
        "theme": "Matières résiduelles",
        "nouns": _nouns("""
            déchet|déchets|m
            bac|bacs|m
            écocentre|écocentres|m
            ressourcerie|ressourceries|f
            compost|composts|m
            collecte|collectes|f
            emballage|emballages|m
            textile|textiles|m
            meuble|meubles|m
            tonne|tonnes|f
            friperie|friperies|f
            recyclage|recyclages|m
        """),
        "phrases": _phrases("""
            matières résiduelles|f|p
            collecte des matières organiques|f|s
            économie circulaire|f|s
            réemploi des encombrants|m|s
            plan de gestion des matières résiduelles|m|s
        """),
        "en": ["waste management", "organic waste collection", "circular economy", "reuse centre", "residual materials"],
        "title_fr": ["les matières résiduelles", "une ressourcerie municipale", "l'économie circulaire", "la collecte des matières organiques"],
        "title_en": ["residual materials", "a municipal reuse centre", "the circular economy"],
    },
    "itinerance": {
        "theme": "Itinérance",
        "nouns": _nouns("""
            refuge|refuges|m
            hébergement|hébergements|m
            intervenant|intervenants|m
            intervenante|intervenantes|f
            halte-chaleur|haltes-chaleur|f
            travailleur de rue|travailleurs de rue|m
            repas|repas|m
            campement|campements|m
            maison d'hébergement|maisons d'hébergement|f
            itinérance|itinérances|f
            dortoir|dortoirs|m
        """),
        "phrases": _phrases("""
            personnes en situation d'itinérance|f|p
            logement de transition|m|s
            travail de rue|m|s
            cohabitation sociale|f|s
            services d'urgence|m|p
        """),
        "en": ["homelessness", "emergency shelter", "street outreach", "transitional housing", "warming centre"],
        "title_fr": ["l'itinérance", "une halte-chaleur hivernale", "la cohabitation sociale au centre-ville", "le travail de rue"],
        "title_en": ["homelessness", "a winter warming centre", "street outreach"],
    },
    "revitalisation": {
        "theme": "Revitalisation commerciale",
        "nouns": _nouns("""
            commerçant|commerçants|m
            commerçante|commerçantes|f
            vitrine|vitrines|f
            local commercial|locaux commerciaux|m
            boutique|boutiques|f
            artère|artères|f
            terrasse|terrasses|f
            piétonnisation|piétonnisations|f
            achalandage|achalandages|m
            façade|façades|f
            marché public|marchés publics|m
        """),
        "phrases": _phrases("""
            revitalisation des artères commerciales|f|s
            société de développement commercial|f|s
            locaux vacants|m|p
            rue principale|f|s
            achat local|m|s
        """),
        "en": ["main street revitalization", "commercial corridor", "vacant storefronts", "business improvement area", "buy local"],
        "title_fr": ["la revitalisation des artères commerciales", "les locaux vacants de la rue principale", "une société de développement commercial"],
        "title_en": ["main street revitalization", "vacant storefronts", "a business improvement area"],
    },
    "financement": {
        "theme": "Programmes de financement",
        "nouns": _nouns("""
            subvention|subventions|f
            prêt|prêts|m
            fonds|fonds|m
            bailleur de fonds|bailleurs de fonds|m
            demande|demandes|f
            enveloppe|enveloppes|f
            contribution|contributions|f
            investissement|investissements|m
            reddition de comptes|redditions de comptes|f
            garantie|garanties|f
            financement|financements|m
        """),
        "phrases": _phrases("""
            programme de financement|m|s
            fonds de développement|m|s
            appel de projets|m|s
            capital patient|m|s
            finance solidaire|f|s
        """),
        "en": ["funding program", "development fund", "call for projects", "patient capital", "solidarity finance"],
        "title_fr": ["un programme de financement", "le capital patient", "un appel de projets", "la finance solidaire"],
        "title_en": ["a funding program", "patient capital", "a call for projects"],
    },
    "reglementation": {
        "theme": "Règlements municipaux",
        "nouns": _nouns("""
            règlement|règlements|m
            zonage|zonages|m
            permis|permis|m
            dérogation|dérogations|f
            usage|usages|m
            résolution|résolutions|f
            avis de motion|avis de motion|m
            urbaniste|urbanistes|f
            greffière|greffières|f
            greffier|greffiers|m
            conseil municipal|conseils municipaux|m
        """),
        "phrases": _phrases("""
            règlement municipal|m|s
            règlements municipaux|m|p
            plan d'urbanisme|m|s
            comité consultatif d'urbanisme|m|s
            usage conditionnel|m|s
            pouvoirs habilitants|m|p
        """),
        "en": ["municipal by-law", "zoning by-law", "conditional use", "urban plan", "enabling powers"],
        "title_fr": ["un règlement municipal", "le zonage inclusif", "les usages conditionnels", "le plan d'urbanisme"],
        "title_en": ["a municipal by-law", "inclusionary zoning", "conditional uses"],
    },
    "developpement": {
        "theme": "Développement économique",
        "nouns": _nouns("""
            entrepreneur|entrepreneurs|m
            entrepreneure|entrepreneures|f
            emploi|emplois|m
            incubateur|incubateurs|m
            grappe|grappes|f
            main-d'œuvre|main-d'œuvre|f
            démarrage|démarrages|m
            accompagnement|accompagnements|m
            mentor|mentors|m
            coopérative|coopératives|f
            chiffre d'affaires|chiffres d'affaires|m
        """),
        "phrases": _phrases("""
            développement économique|m|s
            économie sociale|f|s
            entreprises collectives|f|p
            coopérative de travail|f|s
            pôle régional d'économie sociale|m|s
        """),
        "en": ["economic development", "social economy", "worker cooperative", "collective enterprise", "social enterprise"],
        "title_fr": ["le développement économique local", "l'économie sociale", "les entreprises collectives", "une coopérative de travail"],
        "title_en": ["local economic development", "the social economy", "collective enterprises"],
    },
    "participation": {
        "theme": "Participation citoyenne",
        "nouns": _nouns("""
            citoyen|citoyens|m
            citoyenne|citoyennes|f
            table de concertation|tables de concertation|f
            consultation|consultations|f
            assemblée|assemblées|f
            atelier|ateliers|m
            comité|comités|m
            bénévole|bénévoles|m
            élu|élus|m
            élue|élues|f
            animatrice|animatrices|f
            animateur|animateurs|m
        """),
        "phrases": _phrases("""
            participation citoyenne|f|s
            budget participatif|m|s
            communauté de pratique|f|s
            démarche de concertation|f|s
            gouvernance partagée|f|s
        """),
        "en": ["public participation", "participatory budgeting", "community of practice", "shared governance", "consultation process"],
        "title_fr": ["la participation citoyenne", "un budget participatif", "une démarche de concertation", "la gouvernance partagée"],
        "title_en": ["public participation", "participatory budgeting", "shared governance"],
    },
}
TOPIC_NAMES = tuple(TOPICS)

GENERAL_NOUNS = _nouns("""
    projet|projets|m
    programme|programmes|m
    organisme|organismes|m
    quartier|quartiers|m
    municipalité|municipalités|f
    ville|villes|f
    budget|budgets|m
    partenariat|partenariats|m
    politique|politiques|f
    stratégie|stratégies|f
    territoire|territoires|m
    service|services|m
    démarche|démarches|f
    initiative|initiatives|f
    bâtiment|bâtiments|m
    mesure|mesures|f
    plan|plans|m
    rapport|rapports|m
    ressource|ressources|f
    bilan|bilans|m
    objectif|objectifs|m
    communauté|communautés|f
    milieu|milieux|m
    pratique|pratiques|f
    secteur|secteurs|m
    étude|études|f
    réseau|réseaux|m
    centre|centres|m
    évaluation|évaluations|f
    espace|espaces|m
    mission|missions|f
    outil|outils|m
    population|populations|f
    guide|guides|m
    famille|familles|f
    modèle|modèles|m
    personne|personnes|f
    processus|processus|m
    sécurité|sécurités|f
    suivi|suivis|m
    formation|formations|f
    impact|impacts|m
    transition|transitions|f
    chantier|chantiers|m
    entente|ententes|f
    besoin|besoins|m
    exigence|exigences|f
    enjeu|enjeux|m
    dépense|dépenses|f
    défi|défis|m
    saison|saisons|f
    levier|leviers|m
    région|régions|f
    résultat|résultats|m
    approche|approches|f
    indicateur|indicateurs|m
    action|actions|f
    échéancier|échéanciers|m
    priorité|priorités|f
    mandat|mandats|m
    orientation|orientations|f
    partenaire|partenaires|m
    collaboration|collaborations|f
    acteur|acteurs|m
    actrice|actrices|f
    expérience|expériences|f
    équipe|équipes|f
    leçon|leçons|f
    employé|employés|m
    employée|employées|f
    difficulté|difficultés|f
    conseiller|conseillers|m
    conseillère|conseillères|f
    réussite|réussites|f
    fonctionnaire|fonctionnaires|m
    entreprise|entreprises|f
    organisation|organisations|f
    règle|règles|f
    document|documents|m
    fiche|fiches|f
    rencontre|rencontres|f
    compte rendu|comptes rendus|m
    ordre du jour|ordres du jour|m
    étape|étapes|f
    calendrier|calendriers|m
    coût|coûts|m
    économie|économies|f
    infrastructure|infrastructures|f
    service de proximité|services de proximité|m
    clientèle|clientèles|f
    jeune|jeunes|m
    aîné|aînés|m
    aînée|aînées|f
    nouvel arrivant|nouveaux arrivants|m
    retombée|retombées|f
    hiver|hivers|m
    été|étés|m
""")

# Adjectives: masculine singular, feminine singular, masculine plural, feminine plural.
ADJECTIVES = [tuple(p.strip() for p in line.split("|")) for line in """
    municipal|municipale|municipaux|municipales
    communautaire|communautaire|communautaires|communautaires
    responsable|responsable|responsables|responsables
    durable|durable|durables|durables
    local|locale|locaux|locales
    social|sociale|sociaux|sociales
    économique|économique|économiques|économiques
    résidentiel|résidentielle|résidentiels|résidentielles
    novateur|novatrice|novateurs|novatrices
    abordable|abordable|abordables|abordables
    régional|régionale|régionaux|régionales
    public|publique|publics|publiques
    collectif|collective|collectifs|collectives
    admissible|admissible|admissibles|admissibles
    commercial|commerciale|commerciaux|commerciales
    vert|verte|verts|vertes
    nouveau|nouvelle|nouveaux|nouvelles
    prioritaire|prioritaire|prioritaires|prioritaires
    solidaire|solidaire|solidaires|solidaires
    inclusif|inclusive|inclusifs|inclusives
    concret|concrète|concrets|concrètes
    annuel|annuelle|annuels|annuelles
    actuel|actuelle|actuels|actuelles
    principal|principale|principaux|principales
    important|importante|importants|importantes
    complet|complète|complets|complètes
    vacant|vacante|vacants|vacantes
    temporaire|temporaire|temporaires|temporaires
    permanent|permanente|permanents|permanentes
    écologique|écologique|écologiques|écologiques
    sécuritaire|sécuritaire|sécuritaires|sécuritaires
    accessible|accessible|accessibles|accessibles
    citoyen|citoyenne|citoyens|citoyennes
    hivernal|hivernale|hivernaux|hivernales
    rural|rurale|ruraux|rurales
    urbain|urbaine|urbains|urbaines
    financier|financière|financiers|financières
    efficace|efficace|efficaces|efficaces
    pertinent|pertinente|pertinents|pertinentes
    premier|première|premiers|premières
    dernier|dernière|derniers|dernières
    québécois|québécoise|québécois|québécoises
    structurant|structurante|structurants|structurantes
    mixte|mixte|mixtes|mixtes
    partagé|partagée|partagés|partagées
""".strip().splitlines()]


def _er(inf):
    """The forms of a regular -er verb (c -> ç and g -> ge before a and o)."""
    stem = inf[:-2]
    soft = stem + "e" if stem.endswith("g") else (stem[:-1] + "ç" if stem.endswith("c") else stem)
    return (inf, stem + "e", stem + "ent", stem + "é", soft + "ait", soft + "aient", inf + "a", inf + "ont", soft + "ant")


def _ir(inf):
    """The forms of a regular -ir verb (finir)."""
    stem = inf[:-2]
    return (inf, stem + "it", stem + "issent", stem + "i", stem + "issait", stem + "issaient", inf + "a", inf + "ont", stem + "issant")


# Verbs: infinitive, present 3s, present 3p, past participle, imperfect 3s, 3p, future 3s, 3p, present participle.
VERBS = [
    *(_er(v) for v in (
        "financer", "développer", "accompagner", "mobiliser", "adopter", "revitaliser", "aménager", "loger", "collaborer",
        "évaluer", "implanter", "favoriser", "encadrer", "recycler", "valoriser", "héberger", "consulter", "partager",
        "documenter", "planifier", "animer", "proposer", "présenter", "améliorer", "renforcer", "coordonner",
        "prioriser", "bonifier", "diffuser", "outiller", "réserver", "composter", "acheminer", "regrouper",
        "analyser", "dépasser", "signer", "modifier", "lancer", "piloter", "tester", "exiger", "prolonger", "engager",
    )),
    *(_ir(v) for v in ("établir", "investir", "réunir", "bâtir", "définir", "choisir", "verdir", "agir", "enrichir")),
    ("gérer", "gère", "gèrent", "géré", "gérait", "géraient", "gérera", "géreront", "gérant"),
    ("intégrer", "intègre", "intègrent", "intégré", "intégrait", "intégraient", "intégrera", "intégreront", "intégrant"),
    ("acheter", "achète", "achètent", "acheté", "achetait", "achetaient", "achètera", "achèteront", "achetant"),
    ("soutenir", "soutient", "soutiennent", "soutenu", "soutenait", "soutenaient", "soutiendra", "soutiendront", "soutenant"),
    ("réduire", "réduit", "réduisent", "réduit", "réduisait", "réduisaient", "réduira", "réduiront", "réduisant"),
    ("produire", "produit", "produisent", "produit", "produisait", "produisaient", "produira", "produiront", "produisant"),
    ("construire", "construit", "construisent", "construit", "construisait", "construisaient", "construira", "construiront", "construisant"),
    ("offrir", "offre", "offrent", "offert", "offrait", "offraient", "offrira", "offriront", "offrant"),
    ("permettre", "permet", "permettent", "permis", "permettait", "permettaient", "permettra", "permettront", "permettant"),
    ("prendre", "prend", "prennent", "pris", "prenait", "prenaient", "prendra", "prendront", "prenant"),
    ("recevoir", "reçoit", "reçoivent", "reçu", "recevait", "recevaient", "recevra", "recevront", "recevant"),
    ("promouvoir", "promeut", "promeuvent", "promu", "promouvait", "promouvaient", "promouvra", "promouvront", "promouvant"),
    ("accueillir", "accueille", "accueillent", "accueilli", "accueillait", "accueillaient", "accueillera", "accueilleront", "accueillant"),
    ("maintenir", "maintient", "maintiennent", "maintenu", "maintenait", "maintenaient", "maintiendra", "maintiendront", "maintenant"),
    ("rejoindre", "rejoint", "rejoignent", "rejoint", "rejoignait", "rejoignaient", "rejoindra", "rejoindront", "rejoignant"),
]

CITIES = [
    "Gatineau", "Montréal", "Lévis", "Laval", "Sherbrooke", "Québec", "Trois-Rivières", "Saguenay", "Longueuil",
    "Rimouski", "Drummondville", "Saint-Jérôme", "Granby", "Victoriaville", "Rouyn-Noranda", "Shawinigan", "Joliette",
    "Sept-Îles", "Matane", "Magog",
]
MAIN_CITIES = CITIES[:6]
NEIGHBOURHOODS = [
    "Hochelaga-Maisonneuve", "Rosemont", "Villeray", "Saint-Henri", "Verdun", "Limoilou", "Saint-Roch", "Saint-Sauveur",
    "Vieux-Hull", "Mont-Bleu", "Chomedey", "Pont-Viau", "Sainte-Rose", "Fleurimont", "Lennoxville", "Saint-Romuald",
    "Charny", "Pointe-aux-Trembles", "Côte-des-Neiges", "Parc-Extension", "Ahuntsic", "Vanier", "Aylmer", "Duberger",
]
SURNAMES = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné", "Ouellet",
    "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard", "Boucher", "Caron",
    "Beaulieu", "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre", "Poulin", "Thibault",
    "Nadeau", "Landry", "Martel", "Bédard", "Grenier", "Lessard", "Bernier", "Michaud", "Hébert", "Desjardins",
    "Couture", "Turcotte", "Lachance", "Parent", "Blais", "Gosselin", "Savard", "Proulx", "Beaudoin", "Demers",
    "Perron", "Boudreau", "Charbonneau", "Mercier", "Lemieux", "Vachon", "Rioux", "Jolicoeur", "Ménard", "Dufour",
]
FIRST_NAMES = [
    "Marie", "Julie", "Isabelle", "Nathalie", "Sophie", "Geneviève", "Catherine", "Mélanie", "Annie", "Chantal",
    "Émilie", "Josée", "Valérie", "Hélène", "Élise", "Jean", "Pierre", "Michel", "François", "Luc", "Martin",
    "Stéphane", "Sylvain", "Benoît", "Mathieu", "Éric", "Alexandre", "Frédéric", "Louis", "Rémi", "Amélie", "Karine",
]
ROLES = [
    ("f", "la conseillère en développement économique"), ("m", "le conseiller en développement économique"),
    ("f", "la directrice générale"), ("m", "le directeur général"), ("f", "la mairesse"), ("m", "le maire"),
    ("f", "la coordonnatrice"), ("m", "le coordonnateur"), ("f", "l'agente de développement"), ("m", "l'agent de développement"),
    ("f", "la responsable des approvisionnements"), ("m", "le responsable des approvisionnements"),
]
ORGANISATIONS = [
    "le Chantier de l'économie sociale", "le TIESS", "la CDÉC", "la coopérative de développement régional",
    "la Caisse d'économie solidaire", "le ministère des Affaires municipales", "la Fédération québécoise des municipalités",
    "l'Union des municipalités du Québec", "la Société d'habitation du Québec", "Recyc-Québec",
    "le Réseau d'investissement social", "Centraide", "l'office municipal d'habitation", "la chambre de commerce",
    "la société de développement commercial", "le pôle d'économie sociale", "la table de quartier", "la MRC",
    "le centre local de développement", "la corporation de développement communautaire",
]
ADVERBIALS = [
    "Par ailleurs,", "De plus,", "Toutefois,", "En revanche,", "Ainsi,", "Depuis le printemps,", "À l'automne,",
    "Au printemps,", "Selon l'équipe,", "Lors de la dernière rencontre,", "Dans ce contexte,", "En pratique,",
    "Concrètement,", "Malgré tout,", "Au terme du projet,", "Dès la première année,", "Comme prévu,", "En résumé,",
]
MODALS = [("doit", "doivent"), ("pourra", "pourront"), ("souhaite", "souhaitent"), ("devra", "devront"), ("tente de", "tentent de"), ("vise à", "visent à")]

VOWELS = set("aeiouyéèêëàâîïôöûüœh")
APOS_D = "d'"
H_ASPIRE = ("halte",)  # no elision before these: la halte-chaleur


def _elide(word, full, short):
    if word[0].lower() in VOWELS and not word.lower().startswith(H_ASPIRE):
        return short + word
    return full + " " + word


DETS = {
    # kind -> (masc sg, fem sg, plural)
    "def": ("le", "la", "les"),
    "ind": ("un", "une", "des"),
    "dem": ("ce", "cette", "ces"),
    "pos": ("notre", "notre", "nos"),
    "pos3": ("leur", "leur", "leurs"),
    "each": ("chaque", "chaque", "plusieurs"),
}
DET_KINDS = ("def", "def", "def", "def", "ind", "ind", "dem", "pos", "pos3", "each")


def _det(kind, gender, plural, word):
    m, f, p = DETS[kind]
    if plural:
        return p + " " + word
    if kind == "def":
        return _elide(word, "le" if gender == "m" else "la", "l'")
    if kind == "dem" and gender == "m" and word[0].lower() in VOWELS and not word.startswith(H_ASPIRE):
        return "cet " + word
    return (m if gender == "m" else f) + " " + word


def de(np):
    """'de' before a noun phrase, with contractions: le -> du, les -> des, l' -> de l'."""
    if np.startswith("le "):
        return "du " + np[3:]
    if np.startswith("les "):
        return "des " + np[4:]
    return _elide(np, "de", "d'")


def a(np):
    if np.startswith("le "):
        return "au " + np[3:]
    if np.startswith("les "):
        return "aux " + np[4:]
    return "à " + np


def _zipf_cum(n, s=1.0):
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank ** s
        cum.append(total)
    return cum


_GENERAL_CUM = _zipf_cum(len(GENERAL_NOUNS), 0.9)
_ADJ_CUM = _zipf_cum(len(ADJECTIVES), 0.8)
_VERB_CUM = _zipf_cum(len(VERBS), 0.7)


class French:
    def __init__(self, rng, topic):
        self.rng = rng
        self.topic = TOPICS[topic]
        self.other = TOPICS[rng.choice(TOPIC_NAMES)]  # a document touches a second theme too

    def noun(self):
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice(self.topic["nouns"])
        if r < 0.45:
            return self.rng.choice(self.other["nouns"])
        return self.rng.choices(GENERAL_NOUNS, cum_weights=_GENERAL_CUM)[0]

    def adjective(self, gender, plural):
        forms = self.rng.choices(ADJECTIVES, cum_weights=_ADJ_CUM)[0]
        return forms[(2 if plural else 0) + (gender == "f")]

    def verb(self):
        return self.rng.choices(VERBS, cum_weights=_VERB_CUM)[0]

    def np(self, plural=None, det=None, adjective=0.4, complement=0.2):
        """A noun phrase: (text, plural)."""
        rng = self.rng
        if rng.random() < 0.15:
            text, gender, number = rng.choice(self.topic["phrases"] if rng.random() < 0.75 else self.other["phrases"])
            plural = number == "p"
            head = text
        else:
            sg, pl, gender = self.noun()
            if plural is None:
                plural = rng.random() < 0.4
            head = pl if plural else sg
            if rng.random() < adjective:
                head += " " + self.adjective(gender, plural)
        text = _det(det or rng.choice(DET_KINDS), gender, plural, head)
        if rng.random() < complement:
            sg, pl, g2 = self.noun()
            p2 = rng.random() < 0.5
            text += " " + de(_det("def", g2, p2, pl if p2 else sg))
        return text, plural

    def complement(self):
        rng = self.rng
        r = rng.randrange(12)
        if r == 0:
            return " à " + rng.choice(CITIES)
        if r == 1:
            return " dans le quartier " + rng.choice(NEIGHBOURHOODS)
        if r == 2:
            return " avec l'appui " + de(rng.choice(ORGANISATIONS))
        if r == 3:
            return " dans le cadre " + de(self.np(det="def", complement=0)[0])
        if r == 4:
            return " auprès " + de(self.np(plural=True, det="def", complement=0)[0])
        if r == 5:
            return f" d'ici {rng.randint(2024, 2035)}"
        if r == 6:
            return f" depuis {rng.randint(2008, 2024)}"
        if r == 7:
            return f" au coût de {rng.randint(5, 950)} 000 $"
        if r == 8:
            return " en collaboration avec " + rng.choice(ORGANISATIONS)
        if r == 9:
            return " pour " + self.np(complement=0)[0]
        if r == 10:
            return " " + a(self.np(det="def", complement=0)[0])
        return ""

    def person(self):
        rng = self.rng
        gender, role = rng.choice(ROLES)
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}, {role} de la Ville de {rng.choice(CITIES)}"

    def sentence(self):
        rng = self.rng
        t = rng.randrange(10)
        subj, plural = self.np()
        v = self.verb()
        if t <= 2:
            s = f"{subj} {v[2] if plural else v[1]} {self.np()[0]}{self.complement()}."
        elif t == 3:
            aux = "ont" if plural else "a"
            s = f"{rng.choice(ADVERBIALS)} {subj} {aux} {v[3]} {self.np()[0]}{self.complement()}."
        elif t == 4:
            modal = rng.choice(MODALS)[1 if plural else 0]
            s = f"{subj} {modal} {v[0]} {self.np()[0]}{self.complement()}."
        elif t == 5:
            s = f"{rng.choice(ADVERBIALS)} {rng.choice(ORGANISATIONS)} {v[1]} {self.np()[0]} afin {_elide(self.verb()[0], 'de', APOS_D)} {self.np()[0]}."
        elif t == 6:
            v2 = self.verb()
            subj2, plural2 = self.np()
            s = (f"En {rng.randint(2010, 2024)}, {subj} {v[5] if plural else v[4]} déjà {self.np()[0]}, mais {subj2} "
                 f"{v2[7] if plural2 else v2[6]} {self.np()[0]} d'ici {rng.randint(2025, 2035)}.")
        elif t == 7:
            s = f"Selon {self.person()}, {subj} {v[2] if plural else v[1]} {self.np()[0]}{self.complement()}."
        elif t == 8:
            s = f"{v[8]} {self.np()[0]}, {subj} {v[2] if plural else v[1]} {self.np()[0]}."
        else:
            amount = f"{rng.randint(10, 990)} 000"
            s = (f"Les principaux enjeux sont {self.np(det='def')[0]}, {self.np(det='def')[0]} et "
                 f"{self.np(det='def')[0]}, pour un budget de {amount} $ ({rng.randint(2, 60)} %).")
        return s[0].upper() + s[1:]


# --- English vocabulary ------------------------------------------------------------------

EN_NOUNS = [tuple(line.split("|")) for line in """
project|projects
program|programs
organization|organizations
neighbourhood|neighbourhoods
municipality|municipalities
city|cities
budget|budgets
partnership|partnerships
policy|policies
strategy|strategies
cooperative|cooperatives
enterprise|enterprises
resident|residents
tenant|tenants
supplier|suppliers
contract|contracts
park|parks
shelter|shelters
grant|grants
loan|loans
by-law|by-laws
permit|permits
council|councils
committee|committees
volunteer|volunteers
community|communities
building|buildings
service|services
outcome|outcomes
indicator|indicators
challenge|challenges
lesson|lessons
stakeholder|stakeholders
business|businesses
storefront|storefronts
street|streets
garden|gardens
bin|bins
collection|collections
housing unit|housing units
""".strip().splitlines()]
EN_ADJECTIVES = [
    "municipal", "community", "responsible", "sustainable", "local", "social", "economic", "affordable", "regional",
    "public", "collective", "eligible", "commercial", "green", "new", "inclusive", "annual", "vacant", "temporary",
    "permanent", "accessible", "urban", "rural", "financial", "effective", "shared", "innovative", "key",
]
EN_VERBS = [tuple(line.split("|")) for line in """
support|supports|supported|supporting
fund|funds|funded|funding
develop|develops|developed|developing
adopt|adopts|adopted|adopting
revitalize|revitalizes|revitalized|revitalizing
manage|manages|managed|managing
build|builds|built|building
reduce|reduces|reduced|reducing
house|houses|housed|housing
buy|buys|bought|buying
recycle|recycles|recycled|recycling
assess|assesses|assessed|assessing
mobilize|mobilizes|mobilized|mobilizing
launch|launches|launched|launching
improve|improves|improved|improving
coordinate|coordinates|coordinated|coordinating
share|shares|shared|sharing
plan|plans|planned|planning
""".strip().splitlines()]
EN_OPENERS = ["In addition,", "However,", "As a result,", "Last spring,", "In practice,", "According to the team,", "Overall,", "Since then,"]


class English:
    def __init__(self, rng, topic):
        self.rng = rng
        self.topic = TOPICS[topic]

    def np(self):
        rng = self.rng
        if rng.random() < 0.2:
            head, plural = rng.choice(self.topic["en"]), False
        else:
            sg, pl = rng.choice(EN_NOUNS)
            plural = rng.random() < 0.4
            head = pl if plural else sg
            if rng.random() < 0.4:
                head = rng.choice(EN_ADJECTIVES) + " " + head
        det = rng.choice(("the", "the", "our", "their", "this" if not plural else "these", "a" if not plural else "several"))
        if det == "a" and head[0] in "aeiou":
            det = "an"
        return f"{det} {head}", plural

    def sentence(self):
        rng = self.rng
        subj, plural = self.np()
        v = rng.choice(EN_VERBS)
        t = rng.randrange(5)
        if t <= 1:
            s = f"{subj} {v[0] if plural else v[1]} {self.np()[0]} in {rng.choice(CITIES)}."
        elif t == 2:
            s = f"{rng.choice(EN_OPENERS)} {subj} {v[2]} {self.np()[0]} with {rng.choice(('the', 'a local'))} {rng.choice(EN_NOUNS)[0]}."
        elif t == 3:
            s = f"{subj} {'are' if plural else 'is'} {v[3]} {self.np()[0]} and {rng.choice(EN_VERBS)[0 if plural else 1]} {self.np()[0]} by {rng.randint(2025, 2035)}."
        else:
            s = f"According to {rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}, {subj} {v[2]} {self.np()[0]} for ${rng.randint(5, 900)},000."
        return s[0].upper() + s[1:]


# --- documents ---------------------------------------------------------------------------

TYPES = ("case_study", "good_practice", "tool", "policy", "report", "funding", "reference")
TYPE_WEIGHTS = (18, 14, 14, 12, 20, 10, 12)
TITLES_FR = {
    "case_study": ["Étude de cas : {t} à {c}", "{T} à {c} : une étude de cas", "Récit d'implantation : {t} à {c}"],
    "good_practice": ["Bonne pratique : {t}", "Bons et mauvais coups : {t} à {c}"],
    "tool": ["Fiche pratique : {t}", "Boîte à outils sur {t}", "Grille d'analyse pour {t}"],
    "policy": ["Politique de la Ville de {c} sur {t}", "Règlement no {n} concernant {t}"],
    "report": ["Bilan {y} : {t}", "Rapport annuel {y} sur {t} à {c}", "Compte rendu de la rencontre sur {t}"],
    "funding": ["Programme de financement : {t}", "Appel de projets {y} pour {t}"],
    "reference": ["Guide de référence sur {t}", "Portrait de {t} au Québec", "Revue de littérature : {t}"],
}
TITLES_EN = {
    "case_study": ["Case study: {t} in {c}"],
    "good_practice": ["Good practice: {t}"],
    "tool": ["Toolkit for {t}"],
    "policy": ["{c} policy on {t}"],
    "report": ["{y} report on {t}"],
    "funding": ["Funding program for {t}"],
    "reference": ["Reference guide to {t}"],
}

COMMUNITIES = 20
# A few large communities and a long tail, as in a real instance.
_COMMUNITY_CUM = _zipf_cum(COMMUNITIES, 0.8)
_PAGES_CAP = 20
WORDS_PER_PAGE = 300


def page_count(rng, p=0.25):
    """1..20 pages, geometric (mean about 4): most documents are short, a few are long."""
    n = 1
    while n < _PAGES_CAP and rng.random() > p:
        n += 1
    return n


@dataclass
class Doc:
    id: int
    title: str
    body: str
    language: str
    type: str
    themes: list
    municipality: str | None
    year: int
    community_id: int
    updated_at: datetime

    @property
    def readers(self):
        return [f"community:{self.community_id}"]

    @property
    def text_bytes(self):
        return len(self.title.encode("utf-8")) + len(self.body.encode("utf-8"))


def make_document(seed, number):
    """Document ``number`` (1-based) of the corpus seeded by ``seed``."""
    rng = random.Random(seed * 1_000_003 + number)
    topic = rng.choice(TOPIC_NAMES)
    english = rng.random() < 0.10
    doc_type = rng.choices(TYPES, weights=TYPE_WEIGHTS)[0]
    year = min(2025, 2012 + int(rng.triangular(0, 14, 12)))
    city = rng.choice(MAIN_CITIES) if rng.random() < 0.6 else rng.choice(CITIES)
    municipality = city if rng.random() < 0.9 else None
    community_id = rng.choices(range(1, COMMUNITIES + 1), cum_weights=_COMMUNITY_CUM)[0]
    themes = [TOPICS[topic]["theme"]]
    for _ in range(rng.randrange(3)):
        extra = TOPICS[rng.choice(TOPIC_NAMES)]["theme"]
        if extra not in themes:
            themes.append(extra)
    writer = English(rng, topic) if english else French(rng, topic)
    pages = []
    for _ in range(page_count(rng)):
        sentences, words = [], 0
        while words < WORDS_PER_PAGE:
            s = writer.sentence()
            sentences.append(s)
            words += s.count(" ") + 1
        pages.append(" ".join(sentences))
    body = "\n\n".join(pages)
    pattern = rng.choice((TITLES_EN if english else TITLES_FR)[doc_type])
    subject = rng.choice(TOPICS[topic]["title_en" if english else "title_fr"])
    title = pattern.format(t=subject, T=subject[0].upper() + subject[1:], c=city, y=year, n=f"{rng.randint(100, 2999)}-{year % 100:02d}")
    updated = datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(365 * 86400))
    return Doc(
        id=number, title=title, body=body, language="en" if english else "fr", type=doc_type, themes=themes,
        municipality=municipality, year=year, community_id=community_id, updated_at=updated,
    )


def documents(seed, count, start=1):
    for number in range(start, count + 1):
        yield make_document(seed, number)


# --- queries -----------------------------------------------------------------------------

STOP = {"de", "des", "du", "la", "le", "les", "l", "d", "à", "au", "aux", "en", "et", "pour", "the", "of", "a"}


def _content_words(text):
    return [w for w in text.replace("'", " ").split() if w.lower() not in STOP]


@dataclass
class Query:
    category: str  # one_word, multi_word, phrase, filtered
    text: str  # the hub's syntax
    words: list  # the words or phrase, for FTS5
    phrase: bool = False
    filter: tuple | None = None  # ("type" | "municipality" | "year", value)
    principals: tuple = ()


def _one_word(rng):
    r = rng.random()
    if r < 0.35:
        sg, pl, _ = rng.choice(TOPICS[rng.choice(TOPIC_NAMES)]["nouns"])
        word = rng.choice(_content_words(rng.choice((sg, pl))))
    elif r < 0.55:
        sg, pl, _ = rng.choice(GENERAL_NOUNS[:60])
        word = rng.choice(_content_words(rng.choice((sg, pl))))
    elif r < 0.70:
        word = rng.choice(rng.choice(ADJECTIVES))
    elif r < 0.80:
        word = rng.choice(rng.choice(VERBS)[:5])
    elif r < 0.90:
        word = rng.choice(rng.choice(EN_NOUNS)).split()[-1]
    else:
        word = rng.choice((rng.choice(SURNAMES), rng.choice(NEIGHBOURHOODS), rng.choice(CITIES)))
    return word


def _multi_word(rng):
    r = rng.random()
    topic = TOPICS[rng.choice(TOPIC_NAMES)]
    if r < 0.4:
        sg, pl, g = rng.choice(topic["nouns"])
        plural = rng.random() < 0.4
        adj = rng.choice(ADJECTIVES)[(2 if plural else 0) + (g == "f")]
        words = _content_words(pl if plural else sg)[:2] + [adj]
    elif r < 0.7:
        a_, b_ = rng.sample(topic["nouns"], 2)
        words = [_content_words(a_[0])[0], _content_words(b_[rng.randrange(2)])[0]]
    elif r < 0.85:
        words = [_content_words(rng.choice(topic["nouns"])[0])[0], rng.choice(MAIN_CITIES)]
    else:
        words = _content_words(rng.choice(topic["en"]))
    return words


def _phrase(rng):
    topic = TOPICS[rng.choice(TOPIC_NAMES)]
    if rng.random() < 0.85:
        return rng.choice(topic["phrases"])[0]
    return rng.choice(topic["en"])


def make_queries(seed, count):
    """A fixed mix: 40 % one word, 30 % several words, 15 % "phrases", 15 % a filter and a word."""
    rng = random.Random(seed * 7919 + 17)
    plan = (["one_word"] * 40 + ["multi_word"] * 30 + ["phrase"] * 15 + ["filtered"] * 15)
    queries = []
    for i in range(count):
        category = plan[(i * 100 // count) % 100] if count >= 100 else rng.choice(plan)
        if category == "one_word":
            word = _one_word(rng)
            q = Query(category, word, [word])
        elif category == "multi_word":
            words = _multi_word(rng)
            q = Query(category, " ".join(words), words)
        elif category == "phrase":
            text = _phrase(rng)
            q = Query(category, f'"{text}"', [text], phrase=True)
        else:
            word = _one_word(rng) if rng.random() < 0.5 else _content_words(rng.choice(TOPICS[rng.choice(TOPIC_NAMES)]["nouns"])[0])[0]
            kind = rng.choice(("type", "municipality", "year"))
            if kind == "type":
                value = rng.choice(TYPES)
                text = f"type:{value} {word}"
            elif kind == "municipality":
                value = rng.choice(MAIN_CITIES)
                text = f"municipality:{value} {word}"
            else:
                value = rng.randint(2016, 2025)
                text = f"year:{value} {word}"
            q = Query(category, text, [word], filter=(kind, value))
        members = rng.sample(range(1, COMMUNITIES + 1), rng.choice((4, 5, 5, 6)))
        q.principals = tuple(sorted({f"community:{c}" for c in members} | {f"user:{rng.randint(1, 5000)}"}))
        queries.append(q)
    order = list(range(count))
    rng.shuffle(order)  # categories interleaved, still fixed by the seed
    return [queries[i] for i in order]
