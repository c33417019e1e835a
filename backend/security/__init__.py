"""Cross-cutting protections: security headers, CSRF, rate limits."""
