"""Notifications: the email outbox (and, as they land, in-app notifications and digests)."""
