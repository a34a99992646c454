"""Accounts: registration, login, password reset, profiles, API tokens."""
