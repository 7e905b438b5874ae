"""Checks of user-supplied values, shared by the models, the API and the config file.

Each function returns the normalised value or raises ``Refused`` (a ``ValueError``) with a
message that says what is wrong in words a user understands; callers add the field name.
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
from veilleur.domain.refusals import Refused, gettext_noop

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
_CONTROL_WORDS = {
    "\r": gettext_noop("%(value)s contains a carriage return: a name is one line of text"),
    "\n": gettext_noop("%(value)s contains a line break: a name is one line of text"),
    "\t": gettext_noop("%(value)s contains a tab: a name is one line of text"),
}


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """An IANA zone name such as ``Europe/Paris``."""
    if name not in _known_zones():
        raise Refused(
            gettext_noop("unknown time zone %(name)s (expected an IANA name such as 'Europe/Paris')"),
            name=repr(name),
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed zones load
        raise Refused(gettext_noop("unknown time zone %(name)s"), name=repr(name)) from exc
    return name


def check_country(code: str) -> str:
    """An ISO 3166 alpha-2 country code whose public holidays are known, e.g. ``FR``."""
    if not known_country(code):
        raise Refused(
            gettext_noop("unknown country %(code)s: expected an ISO 3166 code such as 'FR', 'BE' or 'CH'"),
            code=repr(code),
        )
    return code


def check_key(value: str) -> str:
    """A stable key: lower-case letters, digits and dashes, as used in URLs and the config file."""
    if not _KEY.match(value):
        raise Refused(
            gettext_noop(
                "invalid key %(value)s: use 1-64 lower-case letters, digits and dashes, "
                "not starting or ending with a dash"
            ),
            value=repr(value),
        )
    return value


def check_name(value: str) -> str:
    """A name or title shown on one line (an agency, client, site, page, channel, …): any text
    without control characters, line breaks or tabs."""
    found = _NAME_CONTROL.search(value)
    if found is not None:
        char = found.group()
        if char in _CONTROL_WORDS:
            raise Refused(_CONTROL_WORDS[char], value=repr(value))
        raise Refused(
            gettext_noop("%(value)s contains the control character %(code)s: a name is one line of text"),
            value=repr(value),
            code=f"U+{ord(char):04X}",
        )
    return value


# In a paragraph, tabs and line breaks are text; every other control character is not.
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(value: str) -> str:
    """A paragraph people type (a public note, an incident update, a task's description): line
    breaks and tabs are fine, other control characters are refused."""
    found = _TEXT_CONTROL.search(value)
    if found is not None:
        raise Refused(
            gettext_noop("the text contains the control character %(code)s"),
            code=f"U+{ord(found.group()):04X}",
        )
    return value


def one_line(value: str) -> str:
    """``value`` with each run of control characters and line breaks folded into one space:
    for places where a stored name must never break the output (mail headers), whatever
    older or hand-edited data holds."""
    return re.sub(r"\s+", " ", _NAME_CONTROL.sub(" ", value)).strip()


def check_color(value: str) -> str:
    """A colour as ``#RRGGBB``; returned lower-case."""
    if not _COLOR.match(value):
        raise Refused(
            gettext_noop("invalid colour %(value)s: expected #RRGGBB, e.g. '#1d4ed8'"), value=repr(value)
        )
    return value.lower()


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise Refused(
            gettext_noop("unsupported language %(value)s (expected one of: %(choices)s)"),
            value=repr(value),
            choices=", ".join(LANGUAGES),
        )
    return value


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host name."""
    if any(ch.isspace() for ch in value):
        raise Refused(gettext_noop("invalid URL %(value)s: it contains white space"), value=repr(value))
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise Refused(
            gettext_noop("invalid URL %(value)s: it must start with http:// or https://"), value=repr(value)
        )
    if not parts.hostname:
        raise Refused(gettext_noop("invalid URL %(value)s: it has no host name"), value=repr(value))
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise Refused(gettext_noop("invalid URL %(value)s: bad port"), value=repr(value)) from exc
    return value


def check_domain(value: str) -> str:
    """A fully qualified host name such as ``status.example.com``; returned lower-case.

    IP addresses, single labels, ports and a trailing dot are refused: a status page's custom
    domain is a name the client points at the agency's host.
    """
    name = value.strip().lower()
    if not name or len(name) > 253:
        raise Refused(
            gettext_noop("invalid domain %(value)s: expected a host name such as 'status.example.com'"),
            value=repr(value),
        )
    labels = name.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise Refused(
            gettext_noop(
                "invalid domain %(value)s: expected a host name such as 'status.example.com' "
                "(letters, digits and dashes, dot-separated, no port)"
            ),
            value=repr(value),
        )
    if labels[-1].isdigit():
        raise Refused(
            gettext_noop("invalid domain %(value)s: an IP address is not a domain"), value=repr(value)
        )
    return name


# The sites allowed to show a status page in a frame: few, and each one spelled out.
MAX_EMBED_ORIGINS = 20
_EMBED_ORIGIN = re.compile(r"\Ahttps://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?/?\Z")


def check_embed_origin(value: str) -> str:
    """An https origin allowed to show a status page in a frame, ``https://host[:port]``:
    no path, query or wildcard, as it goes verbatim into ``frame-ancestors``. Returned
    lower-case, without a trailing slash or the default port 443."""
    text = value.strip().lower()
    if "*" in text or text.strip("'") in ("none", "self"):
        raise Refused(
            gettext_noop(
                "invalid origin %(value)s: name each site, without wildcards or keywords "
                "(e.g. 'https://www.example.com')"
            ),
            value=repr(value),
        )
    if not text.startswith("https://"):
        raise Refused(
            gettext_noop(
                "invalid origin %(value)s: only https:// sites may frame a page (e.g. 'https://www.example.com')"
            ),
            value=repr(value),
        )
    found = _EMBED_ORIGIN.match(text)
    if found is None:
        raise Refused(
            gettext_noop(
                "invalid origin %(value)s: expected https:// followed by a host and an optional port, "
                "with no path, query or user (e.g. 'https://www.example.com')"
            ),
            value=repr(value),
        )
    host, port = found.group("host"), found.group("port")
    _check_origin_host(value, host)
    if port is not None and not 1 <= int(port) <= 65535:
        raise Refused(
            gettext_noop("invalid origin %(value)s: the port must be between 1 and 65535"), value=repr(value)
        )
    origin = f"https://{host}"
    return origin if port is None or int(port) == 443 else f"{origin}:{int(port)}"


def _check_origin_host(value: str, host: str) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise Refused(
                gettext_noop("invalid origin %(value)s: %(host)s is not an IPv6 address"),
                value=repr(value),
                host=host,
            ) from exc
        return
    labels = host.split(".")
    if len(host) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise Refused(
            gettext_noop("invalid origin %(value)s: %(host)s is not a host name"),
            value=repr(value),
            host=repr(host),
        )


def check_embed_origins(values: list[str]) -> list[str]:
    """A page's list of embedding origins, each checked and normalised, duplicates dropped."""
    if len(values) > MAX_EMBED_ORIGINS:
        raise Refused(
            gettext_noop("at most %(most)d origins may embed a page, not %(count)d"),
            most=MAX_EMBED_ORIGINS,
            count=len(values),
        )
    origins: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise Refused(
                gettext_noop("an origin is text such as 'https://www.example.com', not %(value)s"),
                value=repr(value),
            )
        origin = check_embed_origin(value)
        if origin not in origins:
            origins.append(origin)
    return origins


def check_http_method(value: str) -> str:
    method = value.upper()
    if method not in HTTP_METHODS:
        raise Refused(
            gettext_noop("unsupported HTTP method %(value)s (expected one of: %(choices)s)"),
            value=repr(value),
            choices=", ".join(HTTP_METHODS),
        )
    return method


StatusRanges = tuple[tuple[int, int], ...]


def parse_status_spec(spec: str) -> StatusRanges:
    """``"200-299,301"`` → ((200, 299), (301, 301)). Codes must lie in 100..599."""
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        match = _STATUS_PART.match(part)
        if not match:
            raise Refused(
                gettext_noop(
                    "invalid status code %(part)s: expected a code like 200 or a range like 200-299"
                ),
                part=repr(part.strip()),
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (100 <= low <= high <= 599):
            raise Refused(
                gettext_noop("invalid status range %(part)s: codes lie in 100-599, low before high"),
                part=repr(part.strip()),
            )
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
        raise Refused(
            gettext_noop("invalid opening hours %(value)s: expected 'HH:MM-HH:MM', e.g. '09:00-18:00'"),
            value=repr(value),
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise Refused(
            gettext_noop("invalid opening hours %(value)s: hours run 00:00-24:00"), value=repr(value)
        )
    start = time(h1, m1)
    end = time(0, 0) if h2 == 24 else time(h2, m2)
    if start == end and h2 != 24:
        raise Refused(
            gettext_noop("invalid opening hours %(value)s: start and end are the same"), value=repr(value)
        )
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
            raise Refused(
                gettext_noop("unknown weekday %(day)s (expected one of: %(choices)s)"),
                day=repr(day),
                choices=", ".join(WEEKDAYS),
            )
        if not isinstance(ranges, list):
            raise Refused(
                gettext_noop("opening hours for %(day)s must be a list of 'HH:MM-HH:MM' ranges"), day=day
            )
        cleaned = []
        for item in ranges:
            if not isinstance(item, str):
                raise Refused(
                    gettext_noop("opening hours for %(day)s: %(item)s is not a 'HH:MM-HH:MM' range"),
                    day=day,
                    item=repr(item),
                )
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
        raise Refused(gettext_noop("empty recurrence rule"))
    if "DTSTART" in text.upper() or "\n" in text:
        raise Refused(
            gettext_noop(
                "the recurrence rule must be a single RRULE without DTSTART (the start field gives it)"
            )
        )
    try:
        rrulestr(text, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise Refused(
            gettext_noop("invalid recurrence rule %(rule)s: %(reason)s"), rule=repr(rule), reason=str(exc)
        ) from exc
    if "FREQ=" not in text.upper():
        raise Refused(gettext_noop("invalid recurrence rule %(rule)s: FREQ is required"), rule=repr(rule))
    return text


def parse_local_datetime(value: str) -> datetime:
    """A local wall time ``YYYY-MM-DD HH:MM`` (no zone: the client's zone applies)."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    raise Refused(
        gettext_noop("invalid local date and time %(value)s: expected 'YYYY-MM-DD HH:MM'"), value=repr(value)
    )


def check_holiday(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Refused(
            gettext_noop("invalid holiday date %(value)s: expected YYYY-MM-DD"), value=repr(value)
        ) from exc
