"""Clients: the people a home-care organisation screens, with minimal data."""
