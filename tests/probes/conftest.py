"""A test certificate authority and the server certificates the TLS tests present."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from veilleur.probes.http import make_tls_context


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    client_context: ssl.SSLContext  # trusts the test CA only
    good: ssl.SSLContext  # localhost, 127.0.0.1, ::1
    expired: ssl.SSLContext  # same names, expired two days ago
    wrong_host: ssl.SSLContext  # other.example only
    unknown_ca: ssl.SSLContext  # localhost, from a CA nobody trusts


def _server_context(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    ca = trustme.CA(organization_name="Veilleur Test CA")
    stranger = trustme.CA(organization_name="Unknown CA")
    ca_file = tmp_path_factory.mktemp("pki") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    now = datetime.now(UTC)
    names = ("localhost", "127.0.0.1", "::1")
    return Pki(
        ca_file=ca_file,
        client_context=make_tls_context(ca_file),
        good=_server_context(ca.issue_cert(*names, common_name="localhost")),
        expired=_server_context(
            ca.issue_cert(
                *names,
                common_name="localhost",
                not_before=now - timedelta(days=60),
                not_after=now - timedelta(days=2),
            )
        ),
        wrong_host=_server_context(ca.issue_cert("other.example", common_name="other.example")),
        unknown_ca=_server_context(stranger.issue_cert(*names, common_name="localhost")),
    )
