"""Causes in plain words: never a probe's code, never the same fact twice, the same words everywhere."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from veilleur.accounts.models import StaffUser
from veilleur.incidents.causes import cause_in_words, error_class_in_words
from veilleur.incidents.models import Incident
from veilleur.probes.outcome import ErrorClass

from .test_staff_pages import make_incident

FAILURE_CLASSES = [c.value for c in ErrorClass if c is not ErrorClass.OK]


@pytest.mark.parametrize("error_class", FAILURE_CLASSES)
def test_every_error_class_has_words_in_both_languages(error_class: str) -> None:
    texts = {}
    for language in ("en", "fr"):
        with translation.override(language):
            texts[language] = cause_in_words(error_class, None)
        # A sentence, not the code: "The server refused the connection", never "refused".
        assert "_" not in texts[language] and not texts[language].lower().startswith(error_class)
        assert len(texts[language].split()) >= 3
        assert texts[language] and texts[language][0].isupper()
    # The French catalogue has the sentence: an untranslated one would read in English.
    assert texts["fr"] != texts["en"]


def test_a_status_is_said_once_with_its_name() -> None:
    with translation.override("en"):
        text = cause_in_words("http_status", 503, "HTTP 503 Service Unavailable (expected 200)", detail=True)
        assert text == "The site answered with an error (HTTP 503 Service Unavailable)"
        assert text.count("503") == 1
        assert cause_in_words("http_status", 503, "HTTP 503", detail=True).count("503") == 1
        assert cause_in_words("http_status", 503, "Service Unavailable", detail=True) == text
        detailed = cause_in_words("timeout", None, "no answer within 10 s", detail=True)
        assert detailed == "The site did not answer in time (no answer within 10 s)"
        assert "10 s" not in cause_in_words("timeout", None, "no answer within 10 s")
        assert error_class_in_words("refused") == "The server refused the connection"
    with translation.override("fr"):
        assert cause_in_words("refused", None) == "Le serveur a refusé la connexion"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_staff_list_says_the_cause_in_words(client: HttpClient, owner: StaffUser, language: str) -> None:
    incident = make_incident(owner.agency, "boulangerie", minutes_ago=10)
    Incident.objects.filter(pk=incident.pk).update(cause_error_class="refused", cause_status_code=None)
    client.force_login(owner)
    page = client.get("/incidents/", HTTP_ACCEPT_LANGUAGE=language)
    cells = [
        re.sub(r"\s+", " ", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", page.content.decode(), re.S)
    ]
    with translation.override(language):
        words = cause_in_words("refused", None)
    assert words in cells
    assert not any(cell == "refused" or cell.startswith("refused") for cell in cells)


def test_the_staff_list_and_the_incident_page_name_a_status_once(
    client: HttpClient, owner: StaffUser
) -> None:
    incident = make_incident(owner.agency, "boulangerie", minutes_ago=10)
    client.force_login(owner)
    listed = client.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The site answered with an error (HTTP 502 Bad Gateway)" in listed
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cause = re.search(r"<dt>Cause</dt><dd>(.*?)</dd>", page, re.S)
    assert cause is not None and cause.group(1).count("502") == 1
