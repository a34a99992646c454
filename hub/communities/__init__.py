"""Communities of practice: settings, memberships and roles, invitations, directory."""
