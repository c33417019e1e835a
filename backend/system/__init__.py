"""Health probes and the mapping of errors to pages and JSON in the user's language.

HTTP: `api` (healthz, readyz), gathered by `routes` (ROUTES); only backend/app.py imports
`routes`. `heartbeat`: the worker's row that readyz reads."""
