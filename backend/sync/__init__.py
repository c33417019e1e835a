"""Offline sync: records made on a device arrive exactly once.

Public surface: `models` (SyncRecord, for the metadata). `service` applies records through the
clients', screenings' and referrals' services (never their HTTP modules); HTTP: `api`, gathered by
`routes`; only backend/app.py imports `routes`."""
