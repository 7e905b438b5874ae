"""``scripts/validate-page``: the gate's validators on pages you name, of any running Veilleur.

    scripts/validate-page http://127.0.0.1:8000/s/cabinet-durand/
    scripts/validate-page --crawl http://127.0.0.1:8000/s/cabinet-durand/
    VEILLEUR_PASSWORD=… scripts/validate-page --sign-in julie@agency.example http://127.0.0.1:8000/incidents/
    scripts/validate-page report.html

Each page is checked in French and in English (the browser's language; a status page speaks its
own), at 1280 px and on a 390 px phone: axe-core's serious and critical violations, the phone's
width, and the Nu Html Checker's errors. Exit status: 0 clean, 1 problems found, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page

from tests.browser import chromium as launch_chromium
from tests.gate.crawl import Crawl, links_of, open_url
from tests.gate.validators import (
    PHONE_WIDTH,
    Finding,
    axe_findings,
    missing_tools,
    vnu_findings,
    width_findings,
)

LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}
CHROMIUM = "/usr/bin/chromium"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/validate-page", description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="+", metavar="URL_OR_FILE", help="http(s) addresses or HTML files")
    parser.add_argument("--crawl", action="store_true", help="also check the same-site pages they link to")
    parser.add_argument("--sign-in", metavar="EMAIL", help="sign in first (password in VEILLEUR_PASSWORD)")
    args = parser.parse_args(argv)
    missing = missing_tools()
    chromium = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if chromium is None:
        missing.append("chromium (apt-get install chromium)")
    if missing:
        print("validate-page: missing: " + "; ".join(missing), file=sys.stderr)
        return 2
    try:
        addresses = [address_of(page) for page in args.pages]
    except ValueError as exc:
        print(f"validate-page: {exc}", file=sys.stderr)
        return 2
    password = os.environ.get("VEILLEUR_PASSWORD", "")
    if args.sign_in and not password:
        print("validate-page: --sign-in needs the password in VEILLEUR_PASSWORD", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch, launch_chromium(chromium) as browser:
        findings, checked = check_pages(browser, addresses, args, password, Path(scratch))
    for finding in findings:
        print(finding)
    print(f"{len(findings)} problems on {checked} page{'' if checked == 1 else 's'}")
    return 1 if findings else 0


def address_of(page: str) -> str:
    if urlsplit(page).scheme in ("http", "https"):
        return page
    path = Path(page)
    if not path.is_file():
        raise ValueError(f"{page!r} is neither an http(s) address nor an HTML file")
    return path.resolve().as_uri()


def check_pages(
    browser: Browser, addresses: list[str], args: argparse.Namespace, password: str, scratch: Path
) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    documents: dict[Path, str] = {}
    for language, locale in LANGUAGES.items():
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
        phone = browser.new_context(
            viewport={"width": PHONE_WIDTH, "height": 844}, locale=locale, is_mobile=True, has_touch=True
        )
        pages = [desktop.new_page(), phone.new_page()]
        if args.sign_in:
            for page in pages:
                sign_in(page, addresses[0], args.sign_in, password)
        crawl = Crawl(origin_of(addresses[0]))
        crawl.add(open_url(address) for address in addresses)
        while (visit := crawl.next()) is not None:
            for page, width in zip(pages, ("1280", str(PHONE_WIDTH)), strict=True):
                response = visit.go(page)
                where = f"{visit.label} [{language}, {width} px]"
                if response is not None and response.status >= 400 and not visit.label.startswith("file:"):
                    print(f"note: {visit.label} answered {response.status}", file=sys.stderr)
                findings += axe_findings(page, where)
                if page is pages[1]:
                    findings += width_findings(page, where)
                elif response is not None:
                    source = scratch / f"{language}-{len(documents):03d}.html"
                    source.write_bytes(response.body())
                    documents[source] = f"{visit.label} [{language}]"
            if args.crawl:
                crawl.follow(links_of(pages[0], crawl.origin))
        desktop.close()
        phone.close()
    findings += vnu_findings(documents)
    return findings, len({where.split(" [")[0] for where in documents.values()})


def origin_of(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in(page: Page, address: str, email: str, password: str) -> None:
    page.goto(f"{origin_of(address)}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


if __name__ == "__main__":
    sys.exit(main())
