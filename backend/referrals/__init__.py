"""Referrals (Zuweisungen / orientations): the FHIR Task lifecycle of the Gravity SDOH pattern.

Public surface (what other capabilities may import): `models` (Referral, Consent, …), `states`
(the state machine, status/outcome/reject-reason labels), `service` (send, submit, change_status,
send_referrals, …), `cases` (the receiving side: inbox, counts, remind_overdue), `consent`,
`events` (ReferralSent, ReferralStatusChanged, ContactLogged, ReferralsOverdue) and `erasure`
(the client-erasure subscriber, for backend/capabilities.py). `pages`, `api` and `inbox_routes`
are HTTP: only backend/app.py imports them."""
