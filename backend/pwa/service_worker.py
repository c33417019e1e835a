"""The service worker's source: sw.js with its build facts filled in, once per process (create_app
keeps it in the app's state; pages.py serves it at /sw.js). No HTTP in here."""

from __future__ import annotations

import json

from backend.i18n import LANGUAGES
from backend.pwa.assets import SERVICE_WORKER, Assets
from backend.urls import path_for

BUILD_MARKER = "/*BUILD*/"


def service_worker_source(assets: Assets) -> str:
    """sw.js with its build facts (version, precache list) filled in where the marker is."""
    build = {
        "version": assets.version,
        "shell": assets.shell_urls(),
        "offline": {language: path_for("pwa.offline", language=language) for language in LANGUAGES},
        "languages": list(LANGUAGES),
        "icon": assets.url("icons/icon-192.png"),
        # The offline screening and its outbox list, per language (backend/offline/pages.py).
        "pages": [
            path_for(f"offline.{page}", language=language)
            for language in LANGUAGES
            for page in ("visit", "outbox", "follow_up")
        ],
        "outbox": assets.url("js/outbox.js"),
        "snapshot": path_for("directory.api.snapshot"),
    }
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    return source.replace(BUILD_MARKER, f"/*BUILD*/ {json.dumps(build)}; //", 1)
