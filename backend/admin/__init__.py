"""Administration pages: organisations and accounts."""
