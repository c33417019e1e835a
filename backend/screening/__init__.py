"""Screening: instruments as data, the shared rule language, the nurse's screening."""
