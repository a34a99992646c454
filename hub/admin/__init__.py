"""Instance administration: people, communities, email outbox, search index, storage, audit log."""
