"""Branded public status pages: one per client, on /s/<slug>/ or the client's own domain."""
