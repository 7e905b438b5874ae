"""Custom domains: proved by a CNAME or a TXT record served by a real DNS server on loopback;
the ``tls-allowed`` question a TLS proxy asks; the ``veilleur statuspage`` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client as HttpClient
from django.utils import translation

from tests.statuspages.dnsserver import DnsServer, SilentDnsServer
from veilleur.accounts.models import Agency
from veilleur.cli import main
from veilleur.clients.models import Client
from veilleur.plans.models import Plan
from veilleur.statuspages import domains
from veilleur.statuspages.domains import make_resolver, verify_domain, verify_pending
from veilleur.statuspages.models import StatusPage

STATUS_HOST = "status.agency.example"
DOMAIN = "status.boulangerie.example"

MakePage = Callable[..., StatusPage]


def create_page(
    agency: Agency, slug: str, domain: str | None, *, plan: str = "standard", verified: bool = False
) -> StatusPage:
    client = Client.objects.create(
        agency=agency, key=slug, name=slug.title(), plan=Plan.objects.get(agency=agency, key=plan)
    )
    page = StatusPage(client=client, slug=slug, title=f"{slug.title()} status")
    page.set_custom_domain(domain)
    if verified:
        page.domain_verified_at = datetime.now(UTC)
    page.save()
    page.refresh_from_db()  # saving bumps state_version in the database
    return page


@pytest.fixture
def make_page(agency: Agency) -> MakePage:
    def make(slug: str = "boulangerie", domain: str | None = DOMAIN, **options: Any) -> StatusPage:
        return create_page(agency, slug, domain, **options)

    return make


@pytest.fixture
def dns_server(settings: Any) -> Iterator[DnsServer]:
    server = DnsServer()
    server.start()
    settings.VEILLEUR_DNS_SERVER = ("127.0.0.1", server.port)
    settings.VEILLEUR_STATUS_HOST = STATUS_HOST
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _forget_pending_checks() -> Iterator[None]:
    domains._last_pending_check.clear()
    # Messages are asserted in English; the install's default language is French.
    with translation.override("en"):
        yield
    domains._last_pending_check.clear()


def txt_value(page: StatusPage) -> str:
    return f"veilleur-verify={page.domain_token}"


def assert_records_explained(message: str, page: StatusPage) -> None:
    """A failure tells exactly which records to create."""
    assert f"{page.custom_domain}. CNAME {STATUS_HOST}." in message
    assert f'_veilleur.{page.custom_domain}. TXT "{txt_value(page)}"' in message


def assert_not_verified(page: StatusPage) -> None:
    stored = StatusPage.objects.get(pk=page.pk)
    assert stored.domain_verified_at is None
    assert stored.state_version == page.state_version


# --- verification -------------------------------------------------------------------------


def test_a_cname_to_the_status_host_routes_visitors_but_claims_nothing(
    dns_server: DnsServer, make_page: MakePage, agency: Agency
) -> None:
    # The domain's owner pointed it at the install; any page of any agency could ask for it.
    squatter = make_page()
    dns_server.set_cname(DOMAIN, STATUS_HOST)

    check = verify_domain(squatter)

    assert not check.ok
    assert f"{DOMAIN} is a CNAME to {STATUS_HOST}. Visitors will reach this install" in check.message
    assert f"_veilleur.{DOMAIN} has no TXT record" in check.message
    assert_records_explained(check.message, squatter)
    assert_not_verified(squatter)
    assert verify_pending(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) == "1 custom domain(s) checked"
    assert_not_verified(squatter)


def test_the_txt_record_of_the_page_verifies_a_cname_routed_domain(
    dns_server: DnsServer, make_page: MakePage
) -> None:
    page = make_page()
    version = page.state_version
    dns_server.set_cname(DOMAIN, "edge.cdn.example")
    dns_server.set_cname("edge.cdn.example", STATUS_HOST.upper())
    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(page))

    check = verify_domain(page)

    assert check.ok, check.message
    stored = StatusPage.objects.get(pk=page.pk)
    assert stored.domain_verified_at is not None and stored.domain_verified
    assert stored.state_version == version + 1
    assert page.domain_verified_at == stored.domain_verified_at


def test_txt_record_with_the_token_verifies(dns_server: DnsServer, make_page: MakePage) -> None:
    page = make_page()
    dns_server.set_txt(f"_veilleur.{DOMAIN}", "google-site-verification=abc", txt_value(page))

    check = verify_domain(page)

    assert check.ok, check.message
    assert StatusPage.objects.get(pk=page.pk).domain_verified
    assert dns_server.queries_for(DOMAIN) == []  # the routing is not what proves the claim


def test_txt_record_with_another_token_is_refused(dns_server: DnsServer, make_page: MakePage) -> None:
    page = make_page()
    dns_server.set_txt(f"_veilleur.{DOMAIN}", "veilleur-verify=someone-elses-token")

    check = verify_domain(page)

    assert not check.ok
    assert "another token" in check.message
    assert_records_explained(check.message, page)
    assert_not_verified(page)


def test_cname_to_another_host_is_refused(dns_server: DnsServer, make_page: MakePage) -> None:
    page = make_page()
    dns_server.set_cname(DOMAIN, "boulangerie.other-host.example")

    check = verify_domain(page)

    assert not check.ok
    assert f"{DOMAIN} is a CNAME to boulangerie.other-host.example, not to {STATUS_HOST}" in check.message
    assert f"_veilleur.{DOMAIN} has no TXT record" in check.message
    assert_records_explained(check.message, page)
    assert_not_verified(page)


def test_unknown_domain_says_it_does_not_exist(dns_server: DnsServer, make_page: MakePage) -> None:
    page = make_page()

    check = verify_domain(page)

    assert not check.ok
    assert f"{DOMAIN} does not exist in DNS" in check.message
    assert_records_explained(check.message, page)
    assert "Traceback" not in check.message
    assert_not_verified(page)


def test_failing_dns_servers_are_named(dns_server: DnsServer, make_page: MakePage) -> None:
    page = make_page()
    dns_server.failing.update({DOMAIN, f"_veilleur.{DOMAIN}"})

    check = verify_domain(page)

    assert not check.ok
    assert f"The DNS lookup of {DOMAIN} (CNAME) failed" in check.message
    assert "SERVFAIL" in check.message
    assert_records_explained(check.message, page)
    assert_not_verified(page)


def test_a_server_that_does_not_answer_times_out_clearly(settings: Any, make_page: MakePage) -> None:
    settings.VEILLEUR_STATUS_HOST = STATUS_HOST
    silent = SilentDnsServer()
    try:
        page = make_page()
        host, port = silent.address.split(":")
        check = verify_domain(page, resolver=make_resolver((host, int(port)), lifetime=0.3))
    finally:
        silent.close()

    assert not check.ok
    assert f"The DNS lookup of {DOMAIN} (CNAME) failed: no answer within 0.3 s" in check.message
    assert f"The DNS lookup of _veilleur.{DOMAIN} (TXT) failed: no answer within 0.3 s" in check.message
    assert_records_explained(check.message, page)
    assert_not_verified(page)


@pytest.mark.django_db(transaction=True)
def test_domain_changed_during_verification_is_not_marked(dns_server: DnsServer, agency: Agency) -> None:
    page = create_page(agency, "boulangerie", DOMAIN)
    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(page))

    def change_domain_meanwhile(name: str, rdtype: str) -> None:
        # Someone edits the page while the DNS answer is on its way (the DNS server's thread
        # has its own database connection, so the change is committed like any other).
        other = StatusPage.objects.get(pk=page.pk)
        other.set_custom_domain("status.nouvelle-adresse.example")
        other.save()
        connections.close_all()

    dns_server.on_query = change_domain_meanwhile

    check = verify_domain(page)

    assert not check.ok
    assert "changed while" in check.message
    stored = StatusPage.objects.get(pk=page.pk)
    assert stored.custom_domain == "status.nouvelle-adresse.example"
    assert stored.domain_verified_at is None


def test_an_already_verified_domain_is_not_looked_up_again(
    dns_server: DnsServer, make_page: MakePage
) -> None:
    page = make_page(verified=True)

    check = verify_domain(page)

    assert check.ok and "verified since" in check.message
    assert dns_server.queries == []


def test_a_page_without_custom_domain_has_nothing_to_verify(
    dns_server: DnsServer, make_page: MakePage
) -> None:
    page = make_page(domain=None)
    check = verify_domain(page)
    assert not check.ok and "no custom domain" in check.message
    assert dns_server.queries == []


# --- the worker's re-checks ---------------------------------------------------------------


def test_worker_checks_each_pending_domain_at_most_every_ten_minutes(
    dns_server: DnsServer, make_page: MakePage
) -> None:
    waiting = make_page("boulangerie", DOMAIN)
    ready = make_page("fleuriste", "status.fleuriste.example")
    make_page("garage", "status.garage.example", verified=True)
    make_page("librairie", None)
    dns_server.set_txt("_veilleur.status.fleuriste.example", txt_value(ready))
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    summary = verify_pending(t0)

    assert summary is not None and "2 custom domain(s) checked" in summary
    assert "status.fleuriste.example" in summary
    assert StatusPage.objects.get(pk=ready.pk).domain_verified_at == t0
    assert not StatusPage.objects.get(pk=waiting.pk).domain_verified
    assert dns_server.queries_for("status.garage.example") == []
    asked_once = dns_server.queries_for(f"_veilleur.{DOMAIN}")
    assert asked_once == ["TXT"]

    # The client creates the record; the worker sees it at its next look, not before.
    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(waiting))
    assert verify_pending(t0 + timedelta(minutes=5)) is None
    assert dns_server.queries_for(f"_veilleur.{DOMAIN}") == asked_once
    assert not StatusPage.objects.get(pk=waiting.pk).domain_verified

    summary = verify_pending(t0 + timedelta(minutes=10))
    assert summary is not None and DOMAIN in summary
    assert StatusPage.objects.get(pk=waiting.pk).domain_verified_at == t0 + timedelta(minutes=10)
    assert verify_pending(t0 + timedelta(minutes=30)) is None


def test_worker_checks_a_changed_domain_at_once(dns_server: DnsServer, make_page: MakePage) -> None:
    page = make_page()
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    verify_pending(t0)

    page.set_custom_domain("status.autre.example")
    page.save()
    verify_pending(t0 + timedelta(minutes=1))

    assert dns_server.queries_for("_veilleur.status.autre.example") == ["TXT"]
    assert dns_server.queries_for(f"_veilleur.{DOMAIN}") == ["TXT"]


# --- the question the TLS proxy asks -----------------------------------------------------


@pytest.fixture
def ask(client: HttpClient) -> Callable[[str], tuple[int, str]]:
    def ask(domain: str) -> tuple[int, str]:
        response = client.get("/internal/tls-allowed", {"domain": domain})
        return response.status_code, response.content.decode()

    return ask


def test_tls_allowed_for_verified_domains_only(
    make_page: MakePage, make_agency: Callable[..., Agency], ask: Callable[[str], tuple[int, str]]
) -> None:
    make_page("boulangerie", DOMAIN, verified=True)
    make_page("fleuriste", "status.fleuriste.example")
    create_page(make_agency("autre", "Autre agence"), "garage", "status.garage.example", verified=True)
    make_page("librairie", "status.librairie.example", plan="basic", verified=True)

    assert ask(DOMAIN) == (200, "ok\n")
    assert ask("Status.Boulangerie.EXAMPLE.")[0] == 200
    # Another agency of this install: its page is served here too.
    assert ask("status.garage.example")[0] == 200
    status, body = ask("status.fleuriste.example")
    assert status == 404 and "not a verified custom domain" in body
    assert ask("status.unknown.example")[0] == 404
    # A plan without a status page: the page is not served, so no certificate either.
    assert ask("status.librairie.example")[0] == 404


@pytest.mark.parametrize(
    "value", ["", "   ", "localhost", "127.0.0.1", "bad_name.example", "a..example", "x" * 300]
)
def test_tls_allowed_refuses_bad_domains(db: None, ask: Callable[[str], tuple[int, str]], value: str) -> None:
    status, body = ask(value)
    assert status == 400
    assert "domain" in body and "Traceback" not in body


def test_tls_allowed_without_parameter(db: None, client: HttpClient) -> None:
    response = client.get("/internal/tls-allowed")
    assert response.status_code == 400
    assert response.content.decode() == "missing parameter: domain\n"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_tls_allowed_is_get_only(make_page: MakePage, client: HttpClient, method: str) -> None:
    make_page(verified=True)
    response = getattr(client, method)(f"/internal/tls-allowed?domain={DOMAIN}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


# --- the commands -------------------------------------------------------------------------


def test_verify_command_prints_the_records_then_verifies(
    dns_server: DnsServer, make_page: MakePage, capsys: pytest.CaptureFixture[str]
) -> None:
    page = make_page()

    assert main(["statuspage", "verify", "boulangerie"]) == 1
    out = capsys.readouterr().out
    assert f"{DOMAIN} is not verified yet" in out
    assert_records_explained(out, page)

    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(page))
    assert main(["statuspage", "verify", "boulangerie"]) == 0
    assert f"{DOMAIN} is verified" in capsys.readouterr().out
    assert StatusPage.objects.get(pk=page.pk).domain_verified


def test_verify_never_advises_a_cname_to_an_ip_address(
    dns_server: DnsServer, make_page: MakePage, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no host name configured the status host is the base URL's IP address: a CNAME cannot
    point there, so only the TXT record is advised, with how to get a CNAME."""
    settings.VEILLEUR_STATUS_HOST = "127.0.0.1"
    page = make_page()
    dns_server.set_cname(DOMAIN, "127.0.0.1")  # what following bad advice would have made

    assert main(["statuspage", "verify", "boulangerie"]) == 1
    out = capsys.readouterr().out
    assert "CNAME 127.0.0.1" not in out and " CNAME " not in out.replace("A CNAME cannot", "")
    assert f'_veilleur.{DOMAIN}. TXT "{txt_value(page)}"' in out
    assert "set VEILLEUR_STATUS_HOST to the host name of this server" in out

    dns_server.set_txt(f"_veilleur.{DOMAIN}", txt_value(page))
    assert main(["statuspage", "verify", "boulangerie"]) == 0


def test_verify_command_refuses_unknown_pages_and_pages_without_domain(
    make_page: MakePage, capsys: pytest.CaptureFixture[str]
) -> None:
    make_page("boulangerie", None)
    assert main(["statuspage", "verify", "nope"]) == 2
    assert "no status page with slug 'nope' (known: boulangerie)" in capsys.readouterr().err
    assert main(["statuspage", "verify", "boulangerie"]) == 2
    assert "has no custom domain" in capsys.readouterr().err


def test_list_command(make_page: MakePage, capsys: pytest.CaptureFixture[str]) -> None:
    verified = make_page("boulangerie", DOMAIN, verified=True)
    make_page("fleuriste", "status.fleuriste.example")
    make_page("garage", None)

    assert main(["statuspage", "list"]) == 0

    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [line[:3] for line in lines] == [
        ["boulangerie", "boulangerie", DOMAIN],
        ["fleuriste", "fleuriste", "status.fleuriste.example"],
        ["garage", "garage", "-"],
    ]
    assert lines[0][3] == f"verified {verified.domain_verified_at:%Y-%m-%d %H:%M} UTC"
    assert [line[3] for line in lines[1:]] == ["not verified", "-"]


# --- settings ------------------------------------------------------------------------------


def load_setting(tmp_path: Path, name: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import veilleur.settings as s; print(s.{name})"],
        env={**os.environ, "VEILLEUR_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_host_defaults_to_the_base_url_host(tmp_path: Path) -> None:
    done = load_setting(
        tmp_path, "VEILLEUR_STATUS_HOST", VEILLEUR_BASE_URL="https://Veilleur.Agency.example:8443/"
    )
    assert done.stdout.strip() == "veilleur.agency.example"
    done = load_setting(tmp_path, "VEILLEUR_STATUS_HOST", VEILLEUR_STATUS_HOST="pages.agency.example.")
    assert done.stdout.strip() == "pages.agency.example"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("127.0.0.1:5353", "('127.0.0.1', 5353)"), ("[::1]:53", "('::1', 53)"), ("9.9.9.9", "('9.9.9.9', 53)")],
)
def test_dns_server_setting(tmp_path: Path, value: str, expected: str) -> None:
    done = load_setting(tmp_path, "VEILLEUR_DNS_SERVER", VEILLEUR_DNS_SERVER=value)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VEILLEUR_DNS_SERVER", "dns.example:53", "must be an IP address"),
        ("VEILLEUR_DNS_SERVER", "127.0.0.1:99999", "invalid port"),
        ("VEILLEUR_STATUS_HOST", "not a host", "invalid domain"),
    ],
)
def test_bad_dns_settings_are_named(tmp_path: Path, name: str, value: str, message: str) -> None:
    done = load_setting(tmp_path, name, **{name: value})
    assert done.returncode != 0
    assert name in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr
