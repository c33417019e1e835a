"""Installable app shell: static assets with versioned URLs, manifest, service worker, offline page.

HTTP: `pages` (service worker, manifest, offline page), gathered by `routes` (ROUTES); only
backend/app.py imports `routes` (and `pages.service_worker_source`)."""
