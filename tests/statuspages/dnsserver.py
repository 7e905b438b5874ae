"""A small authoritative DNS server on 127.0.0.1 (UDP, ephemeral port) whose records a test sets.

It answers CNAME and TXT questions from its records; a name it has no record of at all is
NXDOMAIN, a name it knows with no record of the asked type is an empty answer, and a name put in
``failing`` gets SERVFAIL. Every question is logged in ``queries``; ``on_query`` runs before the
answer is sent, so a test can change the world while a verification is in flight.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 60


class DnsServer:
    def __init__(self) -> None:
        self._records: dict[tuple[str, str], list[str]] = {}
        self.failing: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        self.on_query: Callable[[str, str], None] | None = None
        self._lock = threading.Lock()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def address(self) -> str:
        """As ``VEILLEUR_DNS_SERVER`` spells it."""
        return f"127.0.0.1:{self.port}"

    def set_cname(self, name: str, target: str) -> None:
        with self._lock:
            self._records[(_key(name), "CNAME")] = [f"{target.rstrip('.')}."]

    def set_txt(self, name: str, *values: str) -> None:
        with self._lock:
            self._records[(_key(name), "TXT")] = ['"' + value.replace('"', '\\"') + '"' for value in values]

    def remove(self, name: str) -> None:
        with self._lock:
            for key in [key for key in self._records if key[0] == _key(name)]:
                del self._records[key]

    def queries_for(self, name: str) -> list[str]:
        """The types asked about ``name``, in order."""
        with self._lock:
            return [rdtype for qname, rdtype in self.queries if qname == _key(name)]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except Exception:  # not a DNS message: a real server ignores it too
                continue
            response = self._answer(query)
            self._socket.sendto(response.to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        name = _key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((name, rdtype))
        if self.on_query is not None:
            self.on_query(name, rdtype)
        with self._lock:
            if name in self.failing:
                response.set_rcode(dns.rcode.SERVFAIL)
                return response
            known = any(key[0] == name for key in self._records)
            values = self._records.get((name, rdtype), [])
        if not known:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif values:
            response.answer.append(
                dns.rrset.from_text_list(question.name, TTL, dns.rdataclass.IN, rdtype, values)
            )
        return response


def _key(name: str) -> str:
    return name.rstrip(".").lower()


class SilentDnsServer:
    """A UDP port that takes questions and never answers: a DNS server that timed out."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()
