"""Pure asyncio probes, no Django: the HTTP(S) check with phase timings, keyword and status
assertions, the SSRF guard, and TLS certificate inspection. Results are plain dataclasses."""

from veilleur.probes.guard import AddressGuard, allow_private_from_env, classify_address
from veilleur.probes.http import ProbeSession, make_tls_context, probe
from veilleur.probes.outcome import (
    ErrorClass,
    PhaseTimings,
    ProbeFailure,
    ProbeOutcome,
    ProbeRequest,
    RedirectHop,
)
from veilleur.probes.report import check_url, format_outcome, outcome_to_json
from veilleur.probes.tls import CertificateInfo, inspect_certificate

__all__ = [
    "AddressGuard",
    "CertificateInfo",
    "ErrorClass",
    "PhaseTimings",
    "ProbeFailure",
    "ProbeOutcome",
    "ProbeRequest",
    "ProbeSession",
    "RedirectHop",
    "allow_private_from_env",
    "check_url",
    "classify_address",
    "format_outcome",
    "inspect_certificate",
    "make_tls_context",
    "outcome_to_json",
    "probe",
]
