"""Inviting a staff member: a mail in the agency's language, through the outbox, whose one-time
link lets them choose a password and sign in."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client as Browser
from django.utils import translation
from django.utils.translation import gettext

from tests.notifications.mailsink import MailSink
from veilleur.accounts.models import StaffUser

from .conftest import World, deliver

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "Choisir mon mot de passe"), ("en", "Choose my password")]
)
def test_invitation_mail_and_its_link(world: World, sink: MailSink, language: str, words: str) -> None:
    world.agency.language = language
    world.agency.save()
    answer = world.browser(world.admin).post(
        "/team/invite", {"email": "Leo@Atelier.example", "name": "Léo", "role": "admin"}
    )
    assert answer.status_code == 302
    invited = StaffUser.objects.get(email="leo@atelier.example")
    assert (invited.agency_id, invited.role, invited.has_usable_password()) == (
        world.agency.pk,
        "admin",
        False,
    )

    deliver(sink)
    [mail] = sink.messages()
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert mail.recipients == ["leo@atelier.example"] and words in text
    link = re.search(r"https?://\S+/setup/(\S+)/", text)
    assert link is not None

    newcomer = Browser()
    path = f"/setup/{link.group(1)}/"
    assert newcomer.get(path).status_code == 200
    chosen = {
        "name": "Léo",
        "email": "leo@atelier.example",
        "password1": "a long passphrase 42",
        "password2": "a long passphrase 42",
    }
    assert newcomer.post(path, chosen).status_code == 302
    assert newcomer.get("/team/").status_code == 200
    assert Browser().get(path).status_code == 404  # used once


def test_an_address_in_use_is_refused_naming_the_field(world: World, rival: World) -> None:
    page = world.browser(world.owner).post("/team/invite", {"email": rival.member.email, "role": "member"})
    with translation.override(world.agency.language):
        refusal = gettext("This address already has an account.")
    assert page.status_code == 400 and refusal in html.unescape(page.content.decode())
    assert StaffUser.objects.get(email=rival.member.email).agency_id == rival.agency.pk
