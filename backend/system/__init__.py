"""Health check and the mapping of errors to pages and JSON in the user's language.

HTTP: `api` (healthz), gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
