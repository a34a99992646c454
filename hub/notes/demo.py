"""Demo notes (texts written for the demo): minutes of the monthly meeting, an implementation story
shared with the community, and a private note."""
import sqlalchemy as sa

from ..extensions import db

MINUTES = """## Présents

Sophie (Montréal), Marc (Gatineau), Julie (Lévis), Karim (Laval), Isabelle (Sherbrooke), François (Québec)

## Tour de table

- **Lévis** : la halte-chaleur a accueilli plus de monde que prévu; l'entente avec deux organismes en itinérance sera reconduite.
- **Laval** : la ressourcerie reprend la collecte des encombrants dans deux quartiers, à l'essai jusqu'en juin.
- **Québec** : le service de l'approvisionnement accepte d'ajouter une clause sociale au prochain appel d'offres d'entretien.

## Décisions

- Monter une fiche commune sur les clauses sociales dans les appels d'offres.

## Suivis (quoi, qui, quand)

- Rassembler trois exemples de clauses sociales — François — prochaine rencontre
- Partager le bilan de la halte-chaleur — Julie — fin du mois
"""

STORY = """## Contexte

Ville de Laval, Service de l'environnement, 2023-2024. Une ressourcerie du territoire, entreprise d'économie sociale, cherchait à stabiliser ses revenus.

## Ce que nous voulions

Détourner de l'enfouissement les encombrants réutilisables, tout en créant des emplois d'insertion.

## Ce que nous avons fait

1. Un projet pilote de collecte sur rendez-vous dans deux quartiers.
2. Une entente de services de deux ans plutôt qu'un appel d'offres au plus bas prix.
3. Un suivi trimestriel des tonnages et des emplois.

## Résultats

Près du tiers des objets collectés ont été revendus ou réparés; quatre postes d'insertion ont été créés.

## Ce que nous ferions autrement

Associer plus tôt le service de l'approvisionnement, et prévoir un budget de communication pour les citoyens.
"""


def load(community, users):
    from ..meetings.models import Meeting
    from . import service
    from .models import Note

    if db.session.execute(sa.select(Note.id).where(Note.community_id == community.id).limit(1)).first():
        return
    meeting = db.session.execute(
        sa.select(Meeting).where(Meeting.community_id == community.id, Meeting.rrule.is_not(None)).order_by(Meeting.id).limit(1)
    ).scalar_one_or_none()
    sophie, karim = users["sophie.gagnon@exemple.ca"], users["karim.benali@exemple.ca"]
    service.create_note(community, sophie, title="Compte rendu — rencontre mensuelle", body=MINUTES, visibility="community",
                        attachment=("meeting", meeting.id) if meeting is not None else None)
    service.create_note(community, karim, title="Récit d'implantation : la collecte des encombrants avec une ressourcerie",
                        body=STORY, visibility="community")
    service.create_note(community, sophie, title="Idées pour la prochaine rencontre",
                        body="- Inviter le TIESS à présenter l'outil d'évaluation\n- Demander à Gatineau son programme de financement\n")
