"""Referrals (Zuweisungen / orientations): the FHIR Task lifecycle of the Gravity SDOH pattern.

Public surface (what other capabilities may import): `models` (Referral, Consent, …), `states`
(the state machine, status/outcome/reject-reason labels), `service` (send, submit, change_status,
send_referrals, …), `cases` (the receiving side: inbox, counts, remind_overdue), `consent`,
`events` (ReferralSent, ReferralStatusChanged, ContactLogged, ReferralsOverdue) and `erasure`
(the client-erasure subscriber, for backend/capabilities.py). HTTP: `pages`, `api` and
`inbox_pages`, gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
