"""Installable app shell: static assets with versioned URLs, manifest, service worker, offline page.

`assets` (versioned URLs) and `service_worker` (sw.js with its build facts) hold no HTTP. HTTP:
`pages` (service worker, manifest, offline page), gathered by `routes` (ROUTES); only
backend/app.py imports `routes`."""
