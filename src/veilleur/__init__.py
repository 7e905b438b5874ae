"""Veilleur: uptime monitoring for web agencies that sell maintenance plans."""

__version__ = "0.1.0"
