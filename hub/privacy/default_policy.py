"""The privacy policy shown until the instance administrator writes their own (at /privacy/edit).

Markdown, one text per language. It describes what the hub itself keeps; the administrator completes
it with who runs the instance and the person in charge of the protection of personal information.
"""

DEFAULT_FR = """\
Le hub est un espace de travail pour les communautés de pratique de l'économie sociale et solidaire.
Cette politique explique quels renseignements personnels il conserve, pourquoi, combien de temps, et
comment exercer vos droits, conformément à la *Loi sur la protection des renseignements personnels
dans le secteur privé* du Québec (Loi 25).

## Personne responsable de la protection des renseignements personnels

L'organisation qui exploite ce hub désigne une personne responsable de la protection des
renseignements personnels. **L'équipe d'administration doit inscrire ici son nom, son titre et son
adresse courriel.** Écrivez-lui pour toute question, demande ou plainte.

## Ce que le hub conserve, et pourquoi

- **Votre compte** : adresse courriel, mot de passe (chiffré de façon irréversible), nom affiché,
  organisation ou municipalité, titre, présentation, expertises, langues, fuseau horaire, photo si vous
  en ajoutez une. Ils servent à vous identifier et à vous présenter aux autres membres de vos
  communautés.
- **Ce que vous publiez** : messages, réactions, ressources et leurs fichiers, notes, réponses aux
  sondages de disponibilité, présences aux rencontres, sujets proposés à l'ordre du jour. Ils servent
  au travail de vos communautés et ne sont visibles que des personnes qui y ont accès.
- **Vos préférences** : notifications, rappels, jetons d'API (le hub n'en garde qu'une empreinte),
  adresse d'agenda privée.
- **Les courriels envoyés** (invitations, notifications, rappels) : gardés {email_days} jours après
  leur envoi, pour suivre les erreurs de livraison, puis effacés.
- **Le journal d'audit** : les actions sensibles (changements de rôle, retraits, exportations,
  suppressions de compte, gestes d'administration), avec la date et l'adresse IP, gardées
  {audit_days} jours pour la sécurité du hub, puis effacées.

Le hub n'utilise aucun témoin (cookie) publicitaire ni outil de suivi externe ; ses seuls témoins
servent à garder votre session ouverte et votre choix de langue. Aucun renseignement n'est vendu ni
communiqué à des tiers.

## Combien de temps

Votre compte et vos contributions sont gardés tant que votre compte existe. Les courriels envoyés et
le journal d'audit sont effacés après les délais indiqués ci-dessus.

## Vos droits

- **Accès et portabilité** : la page « Mes données » de votre compte vous permet de télécharger tout
  ce que le hub conserve à votre sujet (un fichier JSON et vos fichiers, dans une archive zip).
- **Rectification** : vous modifiez votre profil, votre adresse courriel et vos contributions vous-même.
- **Suppression** : la page « Mes données » permet de supprimer votre compte. Vous choisissez si vos
  messages, notes partagées et ressources restent au nom d'« ancien membre » ou sont effacés ; vos
  notes privées sont toujours effacées.
- **Plainte** : écrivez à la personne responsable ci-dessus ; vous pouvez aussi vous adresser à la
  Commission d'accès à l'information du Québec.
"""

DEFAULT_EN = """\
The hub is a workspace for communities of practice of the social and solidarity economy. This policy
explains what personal information it keeps, why, for how long, and how to exercise your rights,
as required by Quebec's *Act respecting the protection of personal information in the private
sector* (Law 25).

## Person in charge of the protection of personal information

The organisation running this hub names a person in charge of the protection of personal
information. **The administrators must write their name, title and email address here.** Write to
them with any question, request or complaint.

## What the hub keeps, and why

- **Your account**: email address, password (irreversibly hashed), display name, organisation or
  municipality, job title, bio, expertise, languages, time zone, and a photo if you add one. They
  identify you and introduce you to the other members of your communities.
- **What you post**: messages, reactions, resources and their files, notes, availability poll
  answers, meeting attendance, agenda topics you propose. They serve your communities' work and are
  visible only to the people who have access to them.
- **Your preferences**: notifications, reminders, API tokens (the hub keeps only a fingerprint of
  them), private calendar address.
- **Emails sent** (invitations, notifications, reminders): kept {email_days} days after sending, to
  follow delivery errors, then erased.
- **The audit log**: sensitive actions (role changes, removals, exports, account deletions,
  administration), with the date and IP address, kept {audit_days} days for the hub's security, then
  erased.

The hub uses no advertising cookie and no outside tracking tool; its only cookies keep you signed in
and remember your language. No information is sold or given to third parties.

## How long

Your account and contributions are kept as long as your account exists. Sent emails and the audit
log are erased after the periods above.

## Your rights

- **Access and portability**: the "My data" page of your account lets you download everything the
  hub keeps about you (a JSON file and your files, in a zip archive).
- **Correction**: you edit your profile, email address and contributions yourself.
- **Deletion**: the "My data" page lets you delete your account. You choose whether your messages,
  shared notes and resources stay under "former member" or are erased; your private notes are always
  erased.
- **Complaints**: write to the person in charge above; you may also turn to Quebec's Commission
  d'accès à l'information.
"""
