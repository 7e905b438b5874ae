"""The rules a feed must follow, asserted element by element: RSS 2.0 (and the RSS Advisory
Board's profile for dates and guids) and Atom (RFC 4287). A feed reader's leniency is no proof
of validity, so these are checked on the XML itself.

Each ``*_problems`` function returns the broken rules in words; an empty list is a valid feed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

ATOM = "{http://www.w3.org/2005/Atom}"

# RFC 822 as amended by RFC 1123 (four-digit years), which RSS 2.0 requires for its dates.
RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|UT|GMT|[ECMP][SD]T)"
)
# RFC 3339 date-time, which RFC 4287 §3.3 requires, with an upper-case T and Z.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def is_rfc822(value: str | None) -> bool:
    if value is None or not RFC822.fullmatch(value):
        return False
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def is_rfc3339(value: str | None) -> bool:
    if value is None or not RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_absolute_url(value: str | None) -> bool:
    parts = urlsplit(value or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _Markup(HTMLParser):
    """The elements and attributes an HTML reader would build from a text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(name for name, _value in attrs)


def live_markup(html: str) -> list[str]:
    """Elements of ``html`` other than the ``<br>`` a feed may build between lines of text."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return [tag for tag in parser.tags if tag != "br"] + parser.attributes


def rss_problems(body: bytes) -> list[str]:
    problems: list[str] = []
    root = ET.fromstring(body)  # raises on XML that is not well-formed
    if root.tag != "rss" or root.get("version") != "2.0":
        return [f"root is <{root.tag} version={root.get('version')!r}>, not <rss version='2.0'>"]
    channels = root.findall("channel")
    if len(channels) != 1:
        return [f"{len(channels)} <channel> elements, not 1"]
    channel = channels[0]
    for name in ("title", "link", "description"):
        if len(channel.findall(name)) != 1:
            problems.append(f"channel: {len(channel.findall(name))} <{name}>, not 1")
    if not (channel.findtext("title") or "").strip():
        problems.append("channel: empty <title>")
    if not is_absolute_url(channel.findtext("link")):
        problems.append(f"channel: <link> {channel.findtext('link')!r} is not an absolute URL")
    markup = live_markup(channel.findtext("description") or "")
    if markup:
        problems.append(f"channel: <description> holds live markup {markup}")
    for name in ("lastBuildDate", "pubDate"):
        value = channel.findtext(name)
        if value is not None and not is_rfc822(value):
            problems.append(f"channel: <{name}> {value!r} is not an RFC 822 date")
    guids: list[str] = []
    for position, item in enumerate(channel.findall("item"), 1):
        where = f"item {position}"
        if item.find("title") is None and item.find("description") is None:
            problems.append(f"{where}: neither <title> nor <description>")
        if item.find("pubDate") is not None and not is_rfc822(item.findtext("pubDate")):
            problems.append(f"{where}: <pubDate> {item.findtext('pubDate')!r} is not an RFC 822 date")
        if item.find("link") is not None and not is_absolute_url(item.findtext("link")):
            problems.append(f"{where}: <link> {item.findtext('link')!r} is not an absolute URL")
        markup = live_markup(item.findtext("description") or "")
        if markup:
            problems.append(f"{where}: <description> holds live markup {markup}")
        guid = item.findtext("guid")
        if guid is None:
            problems.append(f"{where}: no <guid>")
        else:
            guids.append(guid)
    if len(guids) != len(set(guids)):
        problems.append(f"guids are not unique: {guids}")
    return problems


def _text_construct_problems(element: ET.Element, where: str) -> list[str]:
    """RFC 4287 §3.1: text, html or xhtml; only plain text is sent here, so only text is right."""
    kind = element.get("type", "text")
    if kind != "text":
        return [f"{where}: type={kind!r}, not text"]
    if len(element):
        return [f"{where}: child elements in a text construct"]
    return []


def _one(parent: ET.Element, name: str, where: str, problems: list[str]) -> ET.Element | None:
    found = parent.findall(ATOM + name)
    if len(found) != 1:
        problems.append(f"{where}: {len(found)} atom:{name}, not 1")
        return None
    return found[0]


def atom_problems(body: bytes) -> list[str]:
    problems: list[str] = []
    feed = ET.fromstring(body)
    if feed.tag != ATOM + "feed":
        return [f"root is <{feed.tag}>, not atom:feed"]
    for name in ("id", "title", "updated"):
        _one(feed, name, "feed", problems)
    if not is_absolute_url(feed.findtext(ATOM + "id")):
        problems.append(f"feed: atom:id {feed.findtext(ATOM + 'id')!r} is not an IRI")
    if not is_rfc3339(feed.findtext(ATOM + "updated")):
        problems.append(f"feed: atom:updated {feed.findtext(ATOM + 'updated')!r} is not RFC 3339")
    title = feed.find(ATOM + "title")
    if title is not None:
        problems += _text_construct_problems(title, "feed: atom:title")
    feed_has_author = _has_author(feed, "feed", problems)
    if not any(link.get("rel") == "self" for link in feed.findall(ATOM + "link")):
        problems.append("feed: no atom:link rel=self")
    ids: list[str] = []
    for position, entry in enumerate(feed.findall(ATOM + "entry"), 1):
        where = f"entry {position}"
        for name in ("id", "title", "updated"):
            _one(entry, name, where, problems)
        entry_id = entry.findtext(ATOM + "id")
        if not is_absolute_url(entry_id):
            problems.append(f"{where}: atom:id {entry_id!r} is not an IRI")
        ids.append(entry_id or "")
        for name in ("updated", "published"):
            value = entry.findtext(ATOM + name)
            if (name == "updated" or value is not None) and not is_rfc3339(value):
                problems.append(f"{where}: atom:{name} {value!r} is not RFC 3339")
        if not feed_has_author and not _has_author(entry, where, problems):
            problems.append(f"{where}: no atom:author, and the feed has none (RFC 4287 §4.1.1)")
        for name in ("title", "summary"):
            element = entry.find(ATOM + name)
            if element is not None:
                problems += _text_construct_problems(element, f"{where}: atom:{name}")
        alternate = any(link.get("rel", "alternate") == "alternate" for link in entry.findall(ATOM + "link"))
        if not alternate and entry.find(ATOM + "content") is None:
            problems.append(f"{where}: neither atom:content nor atom:link rel=alternate")
    if len(ids) != len(set(ids)):
        problems.append(f"entry ids are not unique: {ids}")
    return problems


def _has_author(element: ET.Element, where: str, problems: list[str]) -> bool:
    authors = element.findall(ATOM + "author")
    for author in authors:
        if not (author.findtext(ATOM + "name") or "").strip():
            problems.append(f"{where}: atom:author without atom:name")
    return bool(authors)
