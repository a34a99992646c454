"""Discussions: categories, threads, posts, reactions, subscriptions; live through Socket.IO rooms."""
