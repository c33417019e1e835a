"""Organisations, users, roles, login sessions and personal API tokens.

HTTP: `pages` (login, logout, language) and `api` (who-am-I), gathered by `routes`
(ROUTES); only backend/app.py imports `routes`."""
