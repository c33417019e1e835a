"""The start page of each role.

HTTP: `pages`, gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
