"""Brute-force limits: who is asking (the client address behind the install's proxies), how
often they may try (a limiter whose counters live in the database, shared by every web
process), and the hooks that make django-axes throttle every password sign-in."""
