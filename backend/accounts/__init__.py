"""Organisations, users, roles, login sessions and personal API tokens."""
