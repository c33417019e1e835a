"""Working without a network: the pages a nurse uses offline (precached by the service worker).

HTTP: `pages`, gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
