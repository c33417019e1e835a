"""Who looked at or changed which personal data, and when (Swiss data protection law)."""
