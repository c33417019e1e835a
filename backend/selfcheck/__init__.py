"""The public self-check at /check: no account, nothing stored but counts (and a callback
request when the person asks for one).

Public surface: `events` (SelfCheckFinished, which reports count), `models` (its own tally
table). HTTP: `pages`, gathered by `routes`; only
backend/app.py imports `routes`."""
