"""Support-offer directory, aligned with Open Referral HSDS 3: offers, search, upkeep,
HSDS import/export and the demo directory of the canton of Bern.

HTTP: `pages` (search, offer), `upkeep_pages`, `import_pages`, `hsds_api` and `api` (the
offline snapshot, built by `snapshot`), gathered by `routes` (ROUTES); only backend/app.py imports
`routes`."""
