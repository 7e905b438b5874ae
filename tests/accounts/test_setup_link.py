"""First run: a one-time link lets the owner name the agency and set a password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from veilleur.accounts.models import Agency, SetupLink, StaffUser
from veilleur.accounts.provisioning import first_run_link

GOOD = {
    "agency_name": "Atelier Lumière",
    "name": "Camille Martin",
    "email": "Camille@Atelier.example",
    "password1": "lanterne-magique-42",
    "password2": "lanterne-magique-42",
}


def _token(link: str) -> str:
    match = re.search(r"/setup/([^/]+)/$", link)
    assert match, link
    return match.group(1)


@pytest.fixture
def link(agency: Agency) -> str:
    made = first_run_link(agency, "http://127.0.0.1:8000")
    assert made is not None
    return made


def test_link_is_printed_until_the_owner_has_a_password(agency: Agency, link: str) -> None:
    assert link.startswith("http://127.0.0.1:8000/setup/")
    owner = StaffUser.objects.get(agency=agency, role="owner")
    assert not owner.has_usable_password()
    owner.set_password("lanterne-magique-42")
    owner.save()
    assert first_run_link(agency, "http://127.0.0.1:8000") is None


def test_a_new_link_invalidates_the_previous_one(agency: Agency, link: str) -> None:
    newer = first_run_link(agency, "http://127.0.0.1:8000")
    assert newer is not None and newer != link
    assert SetupLink.find_valid(_token(link)) is None
    assert SetupLink.find_valid(_token(newer)) is not None


def test_get_shows_the_form_and_does_not_use_the_link(client: HttpClient, link: str) -> None:
    for _ in range(2):
        response = client.get(f"/setup/{_token(link)}/")
        assert response.status_code == 200
        assert b"password1" in response.content
    assert SetupLink.find_valid(_token(link)) is not None


def test_post_sets_password_names_agency_and_signs_in(client: HttpClient, agency: Agency, link: str) -> None:
    response = client.post(f"/setup/{_token(link)}/", GOOD)
    assert response.status_code == 302 and response["Location"] == "/"
    owner = StaffUser.objects.get(agency=agency, role="owner")
    assert owner.email == "camille@atelier.example"
    assert owner.check_password("lanterne-magique-42")
    assert owner.password.startswith("argon2")
    agency.refresh_from_db()
    assert agency.name == "Atelier Lumière"
    assert client.get("/").status_code == 200
    # The link works once.
    assert client.post(f"/setup/{_token(link)}/", GOOD).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password2": "something-else-42"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"email": "not an email"}, "email"),
        ({"agency_name": ""}, "agency_name"),
        ({"agency_name": "Atelier\r\nBcc: everyone@example.com"}, "agency_name"),
        ({"name": "Camille\x07"}, "name"),
    ],
)
def test_bad_input_is_explained_and_keeps_the_link(
    client: HttpClient, agency: Agency, link: str, change: dict[str, str], field: str
) -> None:
    response = client.post(f"/setup/{_token(link)}/", {**GOOD, **change})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert SetupLink.find_valid(_token(link)) is not None
    assert not StaffUser.objects.get(agency=agency, role="owner").has_usable_password()


def test_expired_or_unknown_link_answers_404(client: HttpClient, link: str) -> None:
    SetupLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/setup/{_token(link)}/").status_code == 404
    assert client.get("/setup/not-a-token/").status_code == 404
