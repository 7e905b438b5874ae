"""A DNS server on 127.0.0.1 that a test can silence, for the checker's resolver."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class Resolver:
    """A DNS server on 127.0.0.1 (UDP) that answers 127.0.0.1 for every name under ``.test``,
    until ``answering`` is turned off: then it reads the questions and answers nothing, as a
    resolver that is gone does."""

    def __init__(self) -> None:
        self.answering = True
        self.missing: set[str] = set()  # names answered NXDOMAIN (a domain that lapsed)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def server(self) -> tuple[str, int]:
        return "127.0.0.1", int(self._socket.getsockname()[1])

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, peer = self._socket.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            if not self.answering:
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            question = query.question[0]
            if question.name.to_text().rstrip(".") in self.missing:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A and question.name.to_text().endswith(".test."):
                response.answer.append(
                    dns.rrset.from_text(question.name, 60, dns.rdataclass.IN, dns.rdatatype.A, "127.0.0.1")
                )
            self._socket.sendto(response.to_wire(), peer)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._socket.close()
