"""Web Push: subscriptions, the notification outbox and its sender.

Public surface: `notify` (queue, and its SUBSCRIPTIONS turning referral events into outbox rows;
wired by backend/capabilities.py), `sender` (deliver_due, for the worker), `vapid` (keys, for the
CLI), `messages` (what a notification says), `models`. HTTP: `api`
(JSON, and the notification settings page), gathered by `routes`; only backend/app.py imports
`routes`."""
