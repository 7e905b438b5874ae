"""Absolute links to a status page, built from stored settings only, never from a Host header.

A page on a verified custom domain is served at ``https://<domain>/``; otherwise at
``VEILLEUR_BASE_URL/s/<slug>/``.
"""

from __future__ import annotations

from django.conf import settings

from veilleur.statuspages.models import StatusPage


def page_url(page: StatusPage, path: str = "") -> str:
    """The page's canonical absolute URL, with ``path`` (relative to the page's root) appended."""
    if page.domain_verified:
        return f"https://{page.custom_domain}/{path}"
    return f"{settings.VEILLEUR_BASE_URL}/s/{page.slug}/{path}"
