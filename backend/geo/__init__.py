"""Canton of Bern reference geography: districts, municipalities, postal codes."""
