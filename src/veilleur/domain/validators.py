"""Checks of user-supplied values, shared by the models, the API and the config file.

Each function returns the normalised value or raises ``ValueError`` with a message that says
what is wrong in words a user understands; callers add the field name.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, time
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrulestr

from veilleur.domain.holidays import known_country

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
LANGUAGES = ("fr", "en")

# Anchored with \A and \Z: "$" also matches before a final newline, so "shop\n" passed as a key.
_COLOR = re.compile(r"\A#[0-9a-fA-F]{6}\Z")
_KEY = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
_HOURS_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_STATUS_PART = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$")
_DOMAIN_LABEL = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
# C0 controls (CR and LF among them), DEL, C1 controls, and the Unicode line and paragraph
# separators: a name goes into mail headers, PDF margins, SVG badges and one-line lists.
_NAME_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_WORDS = {"\r": "a carriage return", "\n": "a line break", "\t": "a tab"}


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """An IANA zone name such as ``Europe/Paris``."""
    if name not in _known_zones():
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as 'Europe/Paris')")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed zones load
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


def check_country(code: str) -> str:
    """An ISO 3166 alpha-2 country code whose public holidays are known, e.g. ``FR``."""
    if not known_country(code):
        raise ValueError(f"unknown country {code!r}: expected an ISO 3166 code such as 'FR', 'BE' or 'CH'")
    return code


def check_key(value: str) -> str:
    """A stable key: lower-case letters, digits and dashes, as used in URLs and the config file."""
    if not _KEY.match(value):
        raise ValueError(
            f"invalid key {value!r}: use 1-64 lower-case letters, digits and dashes, "
            "not starting or ending with a dash"
        )
    return value


def check_name(value: str) -> str:
    """A name or title shown on one line (an agency, client, site, page, channel, …): any text
    without control characters, line breaks or tabs."""
    found = _NAME_CONTROL.search(value)
    if found is not None:
        char = found.group()
        what = _CONTROL_WORDS.get(char, f"the control character U+{ord(char):04X}")
        raise ValueError(f"{value!r} contains {what}: a name is one line of text")
    return value


# In a paragraph, tabs and line breaks are text; every other control character is not.
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(value: str) -> str:
    """A paragraph people type (a public note, an incident update, a task's description): line
    breaks and tabs are fine, other control characters are refused."""
    found = _TEXT_CONTROL.search(value)
    if found is not None:
        raise ValueError(f"the text contains the control character U+{ord(found.group()):04X}")
    return value


def one_line(value: str) -> str:
    """``value`` with each run of control characters and line breaks folded into one space:
    for places where a stored name must never break the output (mail headers), whatever
    older or hand-edited data holds."""
    return re.sub(r"\s+", " ", _NAME_CONTROL.sub(" ", value)).strip()


def check_color(value: str) -> str:
    """A colour as ``#RRGGBB``; returned lower-case."""
    if not _COLOR.match(value):
        raise ValueError(f"invalid colour {value!r}: expected #RRGGBB, e.g. '#1d4ed8'")
    return value.lower()


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"unsupported language {value!r} (expected one of: {', '.join(LANGUAGES)})")
    return value


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host name."""
    if any(ch.isspace() for ch in value):
        raise ValueError(f"invalid URL {value!r}: it contains white space")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"invalid URL {value!r}: it must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"invalid URL {value!r}: it has no host name")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise ValueError(f"invalid URL {value!r}: bad port") from exc
    return value


def check_domain(value: str) -> str:
    """A fully qualified host name such as ``status.example.com``; returned lower-case.

    IP addresses, single labels, ports and a trailing dot are refused: a status page's custom
    domain is a name the client points at the agency's host.
    """
    name = value.strip().lower()
    if not name or len(name) > 253:
        raise ValueError(f"invalid domain {value!r}: expected a host name such as 'status.example.com'")
    labels = name.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError(
            f"invalid domain {value!r}: expected a host name such as 'status.example.com' "
            "(letters, digits and dashes, dot-separated, no port)"
        )
    if labels[-1].isdigit():
        raise ValueError(f"invalid domain {value!r}: an IP address is not a domain")
    return name


# The sites allowed to show a status page in a frame: few, and each one spelled out.
MAX_EMBED_ORIGINS = 20
_EMBED_ORIGIN = re.compile(r"\Ahttps://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?/?\Z")


def check_embed_origin(value: str) -> str:
    """An https origin allowed to show a status page in a frame, ``https://host[:port]``:
    no path, query or wildcard, as it goes verbatim into ``frame-ancestors``. Returned
    lower-case, without a trailing slash or the default port 443."""
    text = value.strip().lower()
    example = "e.g. 'https://www.example.com'"
    if "*" in text or text.strip("'") in ("none", "self"):
        raise ValueError(
            f"invalid origin {value!r}: name each site, without wildcards or keywords ({example})"
        )
    if not text.startswith("https://"):
        raise ValueError(f"invalid origin {value!r}: only https:// sites may frame a page ({example})")
    found = _EMBED_ORIGIN.match(text)
    if found is None:
        raise ValueError(
            f"invalid origin {value!r}: expected https:// followed by a host and an optional port, "
            f"with no path, query or user ({example})"
        )
    host, port = found.group("host"), found.group("port")
    _check_origin_host(value, host)
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"invalid origin {value!r}: the port must be between 1 and 65535")
    origin = f"https://{host}"
    return origin if port is None or int(port) == 443 else f"{origin}:{int(port)}"


def _check_origin_host(value: str, host: str) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise ValueError(f"invalid origin {value!r}: {host} is not an IPv6 address") from exc
        return
    labels = host.split(".")
    if len(host) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError(f"invalid origin {value!r}: {host!r} is not a host name")


def check_embed_origins(values: list[str]) -> list[str]:
    """A page's list of embedding origins, each checked and normalised, duplicates dropped."""
    if len(values) > MAX_EMBED_ORIGINS:
        raise ValueError(f"at most {MAX_EMBED_ORIGINS} origins may embed a page, not {len(values)}")
    origins: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"an origin is text such as 'https://www.example.com', not {value!r}")
        origin = check_embed_origin(value)
        if origin not in origins:
            origins.append(origin)
    return origins


def check_http_method(value: str) -> str:
    method = value.upper()
    if method not in HTTP_METHODS:
        raise ValueError(f"unsupported HTTP method {value!r} (expected one of: {', '.join(HTTP_METHODS)})")
    return method


StatusRanges = tuple[tuple[int, int], ...]


def parse_status_spec(spec: str) -> StatusRanges:
    """``"200-299,301"`` → ((200, 299), (301, 301)). Codes must lie in 100..599."""
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        match = _STATUS_PART.match(part)
        if not match:
            raise ValueError(
                f"invalid status code {part.strip()!r}: expected a code like 200 or a range like 200-299"
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (100 <= low <= high <= 599):
            raise ValueError(f"invalid status range {part.strip()!r}: codes lie in 100-599, low before high")
        ranges.append((low, high))
    return tuple(ranges)


def format_status_ranges(ranges: StatusRanges) -> str:
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


def normalise_status_spec(spec: str) -> str:
    return format_status_ranges(parse_status_spec(spec))


def status_matches(ranges: StatusRanges, status: int) -> bool:
    return any(low <= status <= high for low, high in ranges)


def parse_hours_range(value: str) -> tuple[time, time]:
    """``"09:00-12:30"`` → (09:00, 12:30). An end before the start means the range runs overnight;
    ``24:00`` is accepted as an end meaning midnight."""
    match = _HOURS_RANGE.match(value)
    if not match:
        raise ValueError(f"invalid opening hours {value!r}: expected 'HH:MM-HH:MM', e.g. '09:00-18:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"invalid opening hours {value!r}: hours run 00:00-24:00")
    start = time(h1, m1)
    end = time(0, 0) if h2 == 24 else time(h2, m2)
    if start == end and h2 != 24:
        raise ValueError(f"invalid opening hours {value!r}: start and end are the same")
    return start, end


def format_hours_range(start: time, end: time) -> str:
    end_text = "24:00" if end == time(0, 0) and start != time(0, 0) else end.strftime("%H:%M")
    if start == time(0, 0) and end == time(0, 0):
        end_text = "24:00"
    return f"{start.strftime('%H:%M')}-{end_text}"


def check_weekly_hours(hours: dict[str, list[str]]) -> dict[str, list[str]]:
    """Opening hours per weekday (``mon`` … ``sun``), each a list of ranges; returns them normalised."""
    normalised: dict[str, list[str]] = {}
    for day, ranges in hours.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r} (expected one of: {', '.join(WEEKDAYS)})")
        if not isinstance(ranges, list):
            raise ValueError(f"opening hours for {day} must be a list of 'HH:MM-HH:MM' ranges")
        cleaned = []
        for item in ranges:
            if not isinstance(item, str):
                raise ValueError(f"opening hours for {day}: {item!r} is not a 'HH:MM-HH:MM' range")
            cleaned.append(format_hours_range(*parse_hours_range(item)))
        normalised[day] = cleaned
    return {day: normalised[day] for day in WEEKDAYS if normalised.get(day)}


def check_rrule(rule: str) -> str:
    """An RFC 5545 recurrence rule such as ``FREQ=WEEKLY;BYDAY=TU``, without DTSTART (the window's
    start gives it)."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise ValueError("empty recurrence rule")
    if "DTSTART" in text.upper() or "\n" in text:
        raise ValueError(
            "the recurrence rule must be a single RRULE without DTSTART (the start field gives it)"
        )
    try:
        rrulestr(text, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid recurrence rule {rule!r}: {exc}") from exc
    if "FREQ=" not in text.upper():
        raise ValueError(f"invalid recurrence rule {rule!r}: FREQ is required")
    return text


def parse_local_datetime(value: str) -> datetime:
    """A local wall time ``YYYY-MM-DD HH:MM`` (no zone: the client's zone applies)."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"invalid local date and time {value!r}: expected 'YYYY-MM-DD HH:MM'")


def check_holiday(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"invalid holiday date {value!r}: expected YYYY-MM-DD") from exc
