"""Which CMS (and which version) a site runs, from one fetch of its home page.

Signals, strongest first: the ``<meta name="generator">`` tags, then headers a CMS sets
(``X-Generator``, ``X-Powered-By``, ``X-Drupal-Cache``, Shopify's and Wix's own headers…), then
traces in the page (``/wp-content/``, ``cdn.shopify.com``…), which name the product but not its
version. Nothing a site sends is kept as it came: the product is one of the names below, the
version must look like one (digits and dots, at most 40 characters), and the evidence is our
own words. A hostile page can make us record a wrong version, never inject text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_SCANNED_BYTES = 512 * 1024  # the generator tags and traces are in the first part of a page
MAX_VERSION_CHARS = 40
MAX_GENERATOR_TAGS = 10

_VERSION = re.compile(r"\b[vV]?(\d{1,4}(?:\.\d{1,6}){0,3}(?:[-.]?(?:alpha|beta|rc|RC)\d{0,3})?)\b")

# Product names as we show them, and how a generator text or header value names them.
_GENERATOR_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (product, re.compile(pattern, re.IGNORECASE))
    for product, pattern in (
        ("WordPress", r"\bwordpress\b"),
        ("Drupal", r"\bdrupal\b"),
        ("Joomla", r"\bjoomla\b"),
        ("PrestaShop", r"\bprestashop\b"),
        ("Shopify", r"\bshopify\b"),
        ("Magento", r"\bmagento\b"),
        ("TYPO3", r"\btypo3\b"),
        ("Wix", r"\bwix\.com\b|\bwix\b"),
        ("Squarespace", r"\bsquarespace\b"),
        ("Ghost", r"\bghost\b"),
        ("Webflow", r"\bwebflow\b"),
        ("SPIP", r"\bspip\b"),
        ("Craft CMS", r"\bcraft cms\b"),
        ("Contao", r"\bcontao\b"),
        ("Concrete CMS", r"\bconcrete(?:5| cms)\b"),
        ("Umbraco", r"\bumbraco\b"),
        ("Grav", r"\bgravcms\b|^grav\b"),
        ("Hugo", r"^hugo\b"),
        ("Jekyll", r"^jekyll\b"),
        ("Gatsby", r"^gatsby\b"),
        ("Docusaurus", r"^docusaurus\b"),
    )
)
KNOWN_PRODUCTS = tuple(product for product, _ in _GENERATOR_NAMES)

# Headers whose mere presence names the product (lower-case names).
_PRESENCE_HEADERS: dict[str, str] = {
    "x-drupal-cache": "Drupal",
    "x-drupal-dynamic-cache": "Drupal",
    "x-shopid": "Shopify",
    "x-shopify-stage": "Shopify",
    "x-shopify-request-id": "Shopify",
    "x-wix-request-id": "Wix",
    "x-magento-cache-debug": "Magento",
    "x-magento-tags": "Magento",
    "x-ghost-cache-status": "Ghost",
    "x-typo3-parsetime": "TYPO3",
}
# Headers whose value names the product, sometimes with its version.
_NAMING_HEADERS = ("x-generator", "x-powered-by", "powered-by", "x-powered-cms", "server")

# Traces in the page: the product, never its version (a theme path says nothing of the core's).
_PAGE_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (product, re.compile(pattern))
    for product, pattern in (
        ("WordPress", r"/wp-content/|/wp-includes/"),
        ("Shopify", r"cdn\.shopify\.com|Shopify\.theme"),
        ("Drupal", r"/sites/default/files/|drupal-settings-json|Drupal\.settings"),
        ("Joomla", r"/media/jui/|/media/system/js/|Joomla!"),
        ("Wix", r"static\.wixstatic\.com|static\.parastorage\.com"),
        ("Squarespace", r"static1\.squarespace\.com"),
        ("TYPO3", r"/typo3temp/|/typo3conf/"),
        ("Magento", r"Mage\.Cookies|/static/version\d+/frontend/"),
        ("PrestaShop", r"var prestashop\b|/themes/[\w-]+/assets/cache/"),
        ("Ghost", r"/ghost/api/|ghost-(?:portal|search)"),
        ("Webflow", r"assets\.website-files\.com|data-wf-page"),
    )
)


@dataclass(frozen=True)
class Detection:
    product: str
    version: str  # "" when the site does not say
    evidence: str  # where it was seen, in our words: "meta generator", "X-Generator header", …


class _GeneratorTags(HTMLParser):
    """The content of every ``<meta name="generator">`` tag (the first few)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta" or len(self.found) >= MAX_GENERATOR_TAGS:
            return
        values = {name.lower(): value or "" for name, value in attrs}
        if values.get("name", "").strip().lower() == "generator":
            self.found.append(values.get("content", "")[:300])


def generator_tags(page: str) -> list[str]:
    parser = _GeneratorTags()
    try:
        parser.feed(page)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser gives up on some broken markup
        pass
    return parser.found


def name_in(text: str) -> Detection | None:
    """The product (and version, when it follows the name) a generator or header text names."""
    for product, pattern in _GENERATOR_NAMES:
        named = pattern.search(text)
        if named:
            return Detection(product, version_after(text, named.end()), "")
    return None


def version_after(text: str, start: int) -> str:
    """The version right after a product's name ("WordPress 6.8.1", "Drupal 10 (…)")."""
    following = text[start : start + 60]
    found = _VERSION.match(following.lstrip(" /:-!v"))
    if not found:
        return ""
    version = found.group(1)
    return version if len(version) <= MAX_VERSION_CHARS else ""


def detect(headers: Iterable[tuple[str, str]], body: bytes) -> Detection | None:
    """The CMS the home page shows, or ``None`` when it shows none we know."""
    page = body[:MAX_SCANNED_BYTES].decode("utf-8", errors="replace")
    candidates: list[Detection] = []
    for content in generator_tags(page):
        named = name_in(content)
        if named:
            candidates.append(Detection(named.product, named.version, "meta generator"))
    header_list = [(name.lower(), value) for name, value in headers]
    for name, value in header_list:
        if name in _NAMING_HEADERS:
            named = name_in(value[:300])
            if named:
                candidates.append(Detection(named.product, named.version, f"{_header_label(name)} header"))
        elif name in _PRESENCE_HEADERS:
            candidates.append(Detection(_PRESENCE_HEADERS[name], "", f"{_header_label(name)} header"))
        elif name == "link" and "api.w.org" in value:
            candidates.append(Detection("WordPress", "", "Link header"))
    for product, pattern in _PAGE_TRACES:
        if pattern.search(page):
            candidates.append(Detection(product, "", "page content"))
    return best(candidates)


def best(candidates: list[Detection]) -> Detection | None:
    """The strongest signal's product, with the first version any signal gives for it (a
    WordPress page's second generator tag may be WooCommerce's: the first tag is the CMS)."""
    if not candidates:
        return None
    product = candidates[0].product
    for candidate in candidates:
        if candidate.product == product and candidate.version:
            return candidate
    return candidates[0]


def _header_label(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-")).replace("Id", "ID")


def is_change(before: tuple[str, str], now: Detection) -> bool:
    """Whether ``now`` is news against what was recorded (product, version): another product,
    or another version the site states. A version no longer shown is not a change."""
    product, version = before
    if now.product != product:
        return True
    return bool(now.version) and now.version != version
