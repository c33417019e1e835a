"""Administration pages: organisations and accounts.

HTTP: `pages`, gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
