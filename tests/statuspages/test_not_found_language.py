"""An address under /s/ that names no page: nobody chose a language for it, so the visitor's does."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "lang", "title"),
    [("en-GB,en;q=0.8", "en", "Page not found"), ("fr-FR", "fr", "Page introuvable")],
)
def test_an_unknown_page_answers_in_the_visitors_language(accept: str, lang: str, title: str) -> None:
    response = HttpClient().get("/s/no-such-page/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{title}</h1>" in html
