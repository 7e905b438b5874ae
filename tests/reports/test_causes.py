"""Causes in plain words: never a probe's code, never the same fact twice."""

from __future__ import annotations

import pytest
from django.utils import translation

from veilleur.probes.outcome import ErrorClass
from veilleur.reports.causes import cause_in_words


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("error_class", [c.value for c in ErrorClass if c is not ErrorClass.OK])
def test_every_error_class_has_words(language: str, error_class: str) -> None:
    with translation.override(language):
        text = cause_in_words(error_class, None)
    assert "_" not in text and not text.startswith(error_class)
    assert text and text[0].isupper()


def test_a_status_is_said_once_with_its_name() -> None:
    with translation.override("en"):
        text = cause_in_words("http_status", 502, "HTTP 502 Bad Gateway", detail=True)
        assert text == "The site answered with an error (HTTP 502 Bad Gateway)"
        assert text.count("502") == 1
        assert cause_in_words("http_status", 503, "HTTP 503", detail=True).count("503") == 1
        detailed = cause_in_words("timeout", None, "no answer within 10 s", detail=True)
        assert detailed == "The site did not answer in time (no answer within 10 s)"
        assert "10 s" not in cause_in_words("timeout", None, "no answer within 10 s")
    with translation.override("fr"):
        assert cause_in_words("refused", None) == "Le serveur a refusé la connexion"
