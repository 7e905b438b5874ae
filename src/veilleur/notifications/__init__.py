"""Notifications: the outbox (one row per message to deliver) and its delivery by email."""
