"""Health check and the mapping of errors to pages and JSON in the user's language."""
