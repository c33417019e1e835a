"""Offline sync: records made on a device arrive exactly once."""
