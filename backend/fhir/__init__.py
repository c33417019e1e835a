"""FHIR R4 (4.0.1) exchange: Passerelle as a coordination platform of the HL7 Gravity SDOH
Clinical Care IG 3.0.0 referral workflow, so referrals leave and come back in a standard form.

Under /fhir, for bearer tokens only (cookies never open it, so CSRF does not apply):
- outcome.py: every error as an OperationOutcome, in the caller's language;
- bundle.py: search result Bundles with paging links;
- version.py: a resource's version (meta.versionId, ETag, If-Match);
- task.py: a referral as Task + ServiceRequest (and what the receiving side may see);
- api.py: the HTTP handlers (routes.py gathers them).
- screening.py: instruments as Questionnaires (de, fr translations), a screening as
  QuestionnaireResponse, its answers/needs as Observations, confirmed needs as Conditions;
  screening_search.py finds them (own organisation's nurses only, audited); screening_api.py.
A referral changed through FHIR goes through the same services as a click in the inbox
(backend/referrals): the state machine, audit, events (tallies, notifications).
"""
