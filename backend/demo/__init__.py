"""Demo data for a fresh machine; refused in production."""
