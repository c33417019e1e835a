"""Installable app shell: static assets with versioned URLs, manifest, service worker, offline page."""
