"""The origins a status page may be framed by go verbatim into a response header: whatever text
comes in, what the check lets through is one plain https origin, the same as the standard
library reads it, and checking it again changes nothing."""

from __future__ import annotations

import ipaddress
import string
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.validators import MAX_EMBED_ORIGINS, check_embed_origin, check_embed_origins

# Text that looks like an origin often enough to reach every branch: pieces of origins, hosts,
# ports, and characters that mean something in a header or a policy.
pieces = st.sampled_from(
    [
        "https://",
        "http://",
        "HTTPS://",
        "www.",
        "example",
        ".com",
        ":",
        "443",
        "8443",
        "99999",
        "/",
        "*",
        "'",
        "none",
        "self",
        ";",
        " ",
        ",",
        "?",
        "#",
        "@",
        "[",
        "]",
        "::1",
        "127.0.0.2",
        "-",
        "\n",
        "\t",
        "é",
    ]
)
origin_like = st.lists(pieces | st.text(alphabet=string.printable, max_size=3), max_size=8).map("".join)
labels = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=8)
hosts = st.lists(labels, min_size=1, max_size=3).map(".".join) | st.sampled_from(
    ["[::1]", "127.0.0.2", "[1::x]"]
)
ports = st.sampled_from(["", ":443", ":8443", ":0", ":65535", ":65536", ":"])
# Mostly well-formed origins, with something appended now and then.
built = st.tuples(
    st.sampled_from(["https://", "HTTPS://", "http://"]),
    hosts,
    ports,
    st.sampled_from(["", "/"]),
    st.sampled_from(["", "", "", "/x", ";", " x", "*", "?q"]),
).map("".join)


def oracle(origin: str) -> bool:
    """A plain https origin, read by urllib: nothing but scheme, host and a non-default port."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    if "[" in origin:
        ipaddress.IPv6Address(host)
    return (
        parts.scheme == "https"
        and bool(host)
        and parts.netloc == (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        and parts.port != 443
        and (parts.path, parts.query, parts.fragment, parts.username, parts.password)
        == ("", "", "", None, None)
        and host == host.lower()
        and all(ch not in origin for ch in " \t\r\n;,'\"*")
    )


@given(origin_like | built)
def test_what_passes_is_one_plain_https_origin(text: str) -> None:
    try:
        origin = check_embed_origin(text)
    except ValueError as exc:
        assert repr(text) in str(exc)  # the message names the value
        return
    assert oracle(origin), origin
    assert check_embed_origin(origin) == origin


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://www.example.com", "https://www.example.com"),
        (" HTTPS://WWW.Example.COM/ ", "https://www.example.com"),
        ("https://www.example.com:443", "https://www.example.com"),
        ("https://www.example.com:08443", "https://www.example.com:8443"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://127.0.0.2:8443", "https://127.0.0.2:8443"),
    ],
)
def test_origins_are_normalised(typed: str, stored: str) -> None:
    assert check_embed_origin(typed) == stored


def test_a_list_drops_duplicates_and_has_a_limit() -> None:
    assert check_embed_origins(["https://a.example", "HTTPS://A.example/", "https://b.example"]) == [
        "https://a.example",
        "https://b.example",
    ]
    with pytest.raises(ValueError, match=f"at most {MAX_EMBED_ORIGINS} origins"):
        check_embed_origins([f"https://s{n}.example" for n in range(MAX_EMBED_ORIGINS + 1)])
