"""Referrals (Zuweisungen / orientations): the FHIR Task lifecycle of the Gravity SDOH pattern."""
