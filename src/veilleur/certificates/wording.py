"""The certificate check's findings and changes in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SEVERITY_WORDS = {
    "critical": gettext_lazy("Critical"),
    "warning": gettext_lazy("Warning"),
    "info": gettext_lazy("Information"),
}

CHANGE_WORDS = {
    "first": gettext_lazy("First seen"),
    "renewed": gettext_lazy("Renewed"),
    "new_issuer": gettext_lazy("New issuer"),
    "replaced": gettext_lazy("Replaced"),
}

LEVEL_WORDS = {
    "ok": gettext_lazy("valid"),
    "warning": gettext_lazy("renewal due"),
    "urgent": gettext_lazy("expires within a week"),
    "expired": gettext_lazy("expired"),
}


def finding_in_words(code: str, params: Mapping[str, object]) -> str:
    """One finding as a sentence for the agency (the probe's own words are English only)."""
    values = {name: str(value) for name, value in params.items()}
    leaf = values.get("leaf", "1") == "1"
    if code == "expired":
        return _("The certificate has expired: browsers show a security error.")
    if code == "not_yet_valid":
        return _("The certificate is not valid yet: browsers show a security error.")
    if code == "hostname_mismatch":
        return _("The certificate is not made out for %(host)s: browsers show a security error.") % values
    if code == "self_signed":
        return _("The certificate is self-signed: browsers do not trust it.")
    if code == "untrusted":
        return _("The certificate is not trusted (%(reason)s).") % values
    if code == "revoked":
        return _("The stapled OCSP response says the certificate has been revoked by its issuer.")
    if code == "chain_incomplete":
        return (
            _(
                "The server does not send the intermediate certificate (issuer: %(issuer)s). Some "
                "browsers and most apps and API clients then refuse the site."
            )
            % values
        )
    if code == "weak_key":
        if leaf:
            return (
                _("The certificate has a weak key (%(key)s); use RSA 2048 bits or EC 256 bits at least.")
                % values
            )
        return _("The intermediate certificate %(certificate)s has a weak key (%(key)s).") % values
    if code == "weak_signature":
        if leaf:
            return _("The certificate is signed with %(hash)s, which browsers no longer accept.") % values
        return _("The intermediate certificate %(certificate)s is signed with %(hash)s.") % values
    if code == "tls1_0_enabled":
        return _("The server still accepts TLS 1.0, an old protocol with known weaknesses.")
    if code == "tls1_1_enabled":
        return _("The server still accepts TLS 1.1, an old protocol with known weaknesses.")
    if code == "no_ocsp_stapling":
        return _(
            "The server does not staple an OCSP response (information only: browsers check "
            "revocation themselves, a little more slowly)."
        )
    if code == "protocol_untested":
        return _("Whether the server accepts %(version)s could not be tested from here.") % values
    if code == "stapling_untested":
        return _(
            "OCSP stapling could not be tested: the server did not complete a TLS 1.2 greeting "
            "(a server that speaks only TLS 1.3 sends it encrypted)."
        )
    return code


def change_in_words(kind: str) -> str:
    return str(CHANGE_WORDS.get(kind, kind))
