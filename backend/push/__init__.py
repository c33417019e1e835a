"""Web Push: subscriptions, the notification outbox and its sender."""
