"""Screening: instruments as data, the shared rule language, the nurse's screening.

Public surface: `models` (Screening), `service` (own/open_screening, record_whole,
create_screening/ScreeningIn, and the client page/export/erasure parts), `events`
(ScreeningCompleted), `instruments`, `rules`, `answers`, `form`. HTTP: `instruments_api`,
`pages` and `api`, gathered by `routes` (ROUTES); only backend/app.py imports `routes` (the
summary of a completed screening is referrals')."""
