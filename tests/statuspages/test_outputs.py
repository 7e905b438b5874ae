"""What a status page writes for machines — SVG badges, RSS and Atom feeds — stays inert and valid
whatever its names and public updates hold: quotes, markup, ampersands, control characters."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.utils import timezone

from tests.statuspages.conftest import PageWorld, open_incident
from tests.statuspages.feedrules import ATOM, atom_problems, rss_problems
from veilleur.domain.escaping import xml_text
from veilleur.incidents.models import IncidentUpdate
from veilleur.incidents.updates import post_update
from veilleur.security_headers import BADGE_POLICY, MACHINE_READ_POLICY
from veilleur.statuspages.data import UPTIME_WINDOWS
from veilleur.statuspages.models import StatusPage

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
BADGE_ELEMENTS = {"svg", "title", "rect", "g", "text"}
HOSTILE_NAMES = [
    'x" onload="alert(document.domain)//',
    "x' onload='alert(1)' y='",
    "<script>alert(1)</script>",
    "Martin & fils <b>bold</b> ]]> <![CDATA[",
    # No NUL: PostgreSQL cannot store one in a text column at all, so no name can carry it.
    "bell\x07 vtab\x0b escape\x1b line\nbreak\r\ttab",
    "del\x7f next-line\x85 separator\u2028 non-character\ufffe",
    "Boulangerie Saint-Éloi — l’atelier « 24/7 » 😀",
]
REALISTIC_NAME = "Boulangerie Martin"


def get(path: str) -> HttpClient:
    response = HttpClient().get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (path, response.status_code, response.content[:200])
    return response


def name_everything(world: PageWorld, name: str, language: str = "en") -> None:
    """A resolved and an ongoing incident with public updates, then ``name`` for everything."""
    now = timezone.now()
    resolved = open_incident(
        world.shop_monitor, now - timedelta(days=3), recovered=now - timedelta(days=3, hours=-1)
    )
    post_update(resolved, "identified", "placeholder")
    post_update(resolved, "resolved", "placeholder")
    ongoing = open_incident(world.blog_monitor, now - timedelta(minutes=20))
    post_update(ongoing, "investigating", "placeholder")
    rename(world, name, language)


def rename(world: PageWorld, name: str, language: str) -> None:
    """Give the page, its components and its public updates ``name``, as rows saved before names
    were checked would be (no validation on the way)."""
    StatusPage.objects.filter(pk=world.page.pk).update(title=name, language=language)
    for position, component in enumerate(world.page.components.all()):
        component.public_name = f"{name} {position}"
        component.save(update_fields=["public_name"])
    IncidentUpdate.objects.filter(incident__monitor__site__client=world.page.client).update(
        message=f"{name}\nsecond line"
    )
    cache.clear()


def as_read(text: str) -> str:
    """``text`` as an XML parser reads it back from element content: CR and CRLF become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def badge_paths(world: PageWorld) -> list[str]:
    paths = ["badge/status.svg"] + [f"badge/uptime.svg?window={window}" for window, _span in UPTIME_WINDOWS]
    for component in world.page.components.all():
        paths.append(f"badge/status.svg?component={component.pk}")
        paths += [
            f"badge/uptime.svg?window={window}&component={component.pk}" for window, _ in UPTIME_WINDOWS
        ]
    return [f"/s/bakery/{path}" for path in paths]


def assert_inert_badge(body: bytes) -> ET.Element:
    root = ET.fromstring(body)  # raises on XML that is not well-formed
    assert root.tag == SVG + "svg"
    for element in root.iter():
        assert element.tag.removeprefix(SVG) in BADGE_ELEMENTS, element.tag
        for attribute in element.attrib:
            assert not attribute.lower().startswith("on"), (attribute, element.attrib)
            assert "}" not in attribute, attribute  # no xlink:href, no foreign attribute
    assert root.get("aria-label") == root.findtext(SVG + "title")
    return root


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_every_badge_is_well_formed_and_inert(world: PageWorld, name: str) -> None:
    name_everything(world, name)
    shown = xml_text(name, one_line=True)
    for path in badge_paths(world):
        response = get(path)
        assert response["Content-Security-Policy"] == BADGE_POLICY
        root = assert_inert_badge(response.content)
        label = root.findtext(f"{SVG}g/{SVG}text") or ""
        if path.endswith("status.svg"):
            assert label == shown  # the page's title, as written less what XML cannot carry
        elif "status.svg?component=" in path:
            assert label.startswith(shown)


def test_uptime_badge_speaks_the_pages_language(world: PageWorld) -> None:
    name_everything(world, REALISTIC_NAME, language="fr")
    labels = [ET.fromstring(get(path).content).findtext(f"{SVG}title") or "" for path in badge_paths(world)]
    assert any(re.match(r"disponibilité 30 j\s:\s", label) for label in labels), labels
    assert not any("30d" in label for label in labels)
    rename(world, REALISTIC_NAME, language="en")
    assert b"uptime 30d" in get("/s/bakery/badge/uptime.svg?window=30d").content


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", [REALISTIC_NAME, *HOSTILE_NAMES])
def test_feeds_are_valid_and_carry_text_only(world: PageWorld, name: str, language: str) -> None:
    name_everything(world, name, language)
    shown = xml_text(name, one_line=True)

    rss = get("/s/bakery/feed.rss")
    assert rss["Content-Security-Policy"] == MACHINE_READ_POLICY
    assert rss_problems(rss.content) == []
    # Plain text's "&", "<" and ">" as hexadecimal references, as the RSS profile recommends.
    assert all(token not in rss.content for token in (b"&lt;", b"&gt;", b"&amp;"))
    channel = ET.fromstring(rss.content).find("channel")
    assert channel is not None and len(channel.findall("item")) == 2
    for item in channel.findall("item"):
        # The description is HTML built from escaped text: read as HTML, it is the text again.
        shown_text = html.unescape((item.findtext("description") or "").replace("<br>", "\n"))
        assert as_read(f"{xml_text(name)}\nsecond line") in shown_text

    atom = get("/s/bakery/feed.atom")
    assert atom["Content-Security-Policy"] == MACHINE_READ_POLICY
    assert atom_problems(atom.content) == []
    feed = ET.fromstring(atom.content)
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == shown
    for entry in feed.findall(ATOM + "entry"):
        assert as_read(f"{xml_text(name)}\nsecond line") in (entry.findtext(ATOM + "summary") or "")
        assert shown in (entry.findtext(ATOM + "title") or "")


def test_feeds_of_a_page_without_incidents_are_valid(world: PageWorld) -> None:
    assert rss_problems(get("/s/bakery/feed.rss").content) == []
    assert atom_problems(get("/s/bakery/feed.atom").content) == []
