"""Screening: instruments as data, the shared rule language, the nurse's screening.

Public surface: `models` (Screening), `service` (own/open_screening, record_whole,
create_screening/ScreeningIn, and the client page/export/erasure parts), `events`
(ScreeningCompleted), `instruments`, `rules`, `answers`, `form`. `pages`, `routes` and `api` are
HTTP: only backend/app.py imports them (the summary of a completed screening is referrals')."""
