"""Anonymous reports for analysts: count-only aggregates, small-count suppression, charts.

Public surface: `tally` (its SUBSCRIPTIONS count the domain events of screening, selfcheck and
referrals; wired by backend/capabilities.py), `models` (the tables), `demo` (the demo year, for
`demo seed`), `service`/`catalog` (reading). HTTP: `pages` (and CSV) and `api`,
gathered by `routes` (ROUTES); only backend/app.py imports `routes`. Nobody below the composition
roots imports reports."""
