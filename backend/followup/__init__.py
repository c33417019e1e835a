"""Follow-up: asking again, some weeks after the referrals of a screening closed, whether it
helped (issue 19).

Public surface: `models` (FollowUp), `due` (when a follow-up is due: pure), `service` (the due
list, recording and skipping, the client's export and erasure parts), `events`
(FollowUpRecorded: what the reports count, nothing that identifies the person). HTTP: `pages`
and `api`, gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
