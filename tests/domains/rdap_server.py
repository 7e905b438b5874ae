"""A real RDAP service on 127.0.0.1: the bootstrap file and a registry's domain answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.clients.logo_server import LogoServer

RDAP = "application/rdap+json"


def domain_answer(
    name: str, expires_at: datetime | None, registrar: str = "Gandi SAS", **extra: Any
) -> dict[str, Any]:
    events = [{"eventAction": "registration", "eventDate": "2015-03-02T09:12:00Z"}]
    if expires_at is not None:
        events.append({"eventAction": "expiration", "eventDate": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return {
        "objectClassName": "domain",
        "handle": f"{name.upper()}-REG",
        "ldhName": name,
        "events": events,
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "81",
                "roles": ["registrar"],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", registrar]]],
            }
        ],
        **extra,
    }


class RdapServer(LogoServer):
    """Serves ``/dns.json`` (TLDs → ``/rdap/``) and ``/rdap/domain/<name>`` answers; every
    other path answers 404, as a registry does for a domain it does not know."""

    def __init__(self, tlds: tuple[str, ...] = ("test",)) -> None:
        super().__init__()
        self.set_bootstrap(tlds)

    def set_bootstrap(self, tlds: tuple[str, ...]) -> None:
        bootstrap = {
            "version": "1.0",
            "publication": "2026-11-01T00:00:00Z",
            "services": [[list(tlds), [self.url("/rdap/")]]],
        }
        self.answers["/dns.json"] = (200, "application/json", json.dumps(bootstrap).encode())

    def answer(self, name: str, document: dict[str, Any] | bytes, status: int = 200) -> None:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.answers[f"/rdap/domain/{name}"] = (status, RDAP, body)

    def lookups(self, name: str) -> int:
        return self.hits.count(f"/rdap/domain/{name}")
