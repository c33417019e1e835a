"""FHIR R4 (4.0.1) exchange: Passerelle as a coordination platform of the HL7 Gravity SDOH
Clinical Care IG 3.0.0 referral workflow, so referrals leave and come back in a standard form.

Under /fhir, for bearer tokens only (cookies never open it, so CSRF does not apply):
- outcome.py: every error as an OperationOutcome, in the caller's language;
- bundle.py: search result Bundles with paging links;
- version.py: a resource's version (meta.versionId, ETag, If-Match);
- task.py: a referral as Task + ServiceRequest (and what the receiving side may see);
- search.py: search parameters → SQL on referrals (and consents), keyset paging with _count;
- patient.py: the client (sender) or the referral's shared copy (receiver) as a CH Core Patient;
- consent.py: a recorded consent as a Consent (what leaves, to whom);
- procedure.py: what the receiving organisation did (an outcome) as a Procedure (Task.output);
- api.py: the HTTP handlers for reads and searches (routes.py gathers them).
- task_update.py: an incoming Task (PUT) or JSON Patch read into the change it asks for;
- update_api.py: PUT/PATCH Task, applied through the inbox's services (If-Match, row lock).
- models.py, subscriptions.py: Subscriptions (R4 backport, topic task-changed, id-only rest-hook)
  and the referral events they match into an outbox; notifications.py: its delivery by the worker;
  subscription_api.py: /fhir/Subscription and the topic (/fhir/Basic/task-changed).
- directory.py: the directory (HSDS) as Organization, HealthcareService (Gravity capacity
  status) and Location; terminology.py: our CodeSystems (de/fr) and the ConceptMap to the Gravity
  SDOH categories; capability.py: the CapabilityStatement, built from the routes;
  directory_api.py: their handlers and /fhir/metadata.
- screening.py: instruments as Questionnaires (de, fr translations), a screening as
  QuestionnaireResponse, its answers/needs as Observations, confirmed needs as Conditions;
  screening_search.py finds them (own organisation's nurses only, audited); screening_api.py.
- followup.py: a recorded follow-up as QuestionnaireResponse, wellbeing Observations and a Goal
  per need; followup_search.py finds them (the same rules; searches add them to the
  screenings'); followup_api.py: /fhir/Goal.
- export.py: one referral as a document Bundle (the receiver's view; `python -m backend fhir
  export`), a client's record as a collection Bundle; export_api.py: the client page's FHIR file.
- inbound.py, inbound_api.py: POST /fhir, a hospital's transaction Bundle (Patient, Consent,
  ServiceRequest, Task) made into a referral as a nurse's (idempotent: a replay makes nothing).
- staff.py, staff_api.py: a colleague as a minimal Practitioner / PractitionerRole (own organisation).
A referral changed through FHIR goes through the same services as a click in the inbox
(backend/referrals): the state machine, audit, events (tallies, notifications).
"""
