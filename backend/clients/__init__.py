"""Clients: the people a home-care organisation screens, with minimal data.

Public surface: `models` (Client), `service` (open_client, create_client/ClientIn, and
provide_page_part for what the capabilities above show on a client's page), `erasure`
(ClientErasing, the event the capabilities above subscribe to, and provide_export). HTTP: `pages`
(HTML) and `api` (JSON), gathered by `routes` (ROUTES); only backend/app.py imports `routes`."""
