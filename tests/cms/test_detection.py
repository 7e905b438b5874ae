"""What a home page says about its CMS: generator tags, headers, traces; hostile values bounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.probes.cms import MAX_VERSION_CHARS, Detection, detect, is_change


def page(*generators: str, body: str = "") -> bytes:
    metas = "".join(f'<meta content="{content}" name="generator">' for content in generators)
    return f"<html><head>{metas}</head><body>{body}</body></html>".encode()


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ([], page("WordPress 6.8.1", "WooCommerce 8.5.2"), ("WordPress", "6.8.1", "meta generator")),
        (
            [("X-Generator", "Drupal 10 (https://www.drupal.org)")],
            page(),
            ("Drupal", "10", "X-Generator header"),
        ),
        ([("X-Drupal-Cache", "HIT")], page(), ("Drupal", "", "X-Drupal-Cache header")),
        ([], page("Joomla! - Open Source Content Management"), ("Joomla", "", "meta generator")),
        ([], page("PrestaShop"), ("PrestaShop", "", "meta generator")),
        (
            [("X-ShopId", "5512"), ("X-Shopify-Stage", "production")],
            page(),
            ("Shopify", "", "X-Shopid header"),
        ),
        ([("X-Magento-Tags", "cms_b")], page(), ("Magento", "", "X-Magento-Tags header")),
        ([], page("TYPO3 CMS"), ("TYPO3", "", "meta generator")),
        ([], page("Wix.com Website Builder"), ("Wix", "", "meta generator")),
        ([("Server", "Squarespace")], page(), ("Squarespace", "", "Server header")),
        ([], page("Ghost 5.82"), ("Ghost", "5.82", "meta generator")),
        ([("X-Powered-By", "PrestaShop")], page(), ("PrestaShop", "", "X-Powered-By header")),
        (
            [],
            page(body='<link rel="stylesheet" href="/wp-content/themes/a/style.css">'),
            ("WordPress", "", "page content"),
        ),
        (
            [],
            page(body='<script src="//cdn.shopify.com/s/files/x.js"></script>'),
            ("Shopify", "", "page content"),
        ),
        # The version stated anywhere for the product is kept, the strongest signal names it.
        (
            [("X-Generator", "Drupal 11.1.3")],
            page(body="/sites/default/files/logo.png"),
            ("Drupal", "11.1.3", "X-Generator header"),
        ),
    ],
)
def test_cms_are_recognised_from_tags_headers_and_traces(
    headers: list[tuple[str, str]], body: bytes, expected: tuple[str, str, str]
) -> None:
    found = detect(headers, body)
    assert found is not None
    assert (found.product, found.version, found.evidence) == expected


def test_a_page_that_names_no_cms_is_none() -> None:
    assert detect([("X-Powered-By", "PHP/8.3.1"), ("Server", "nginx")], page("a static site")) is None


@pytest.mark.parametrize(
    "generator",
    [
        "WordPress 6.8.1\x00\x1b[31m",
        "WordPress 6.8.1<script>alert(1)</script>",
        "WordPress 6.8.1&quot; onload=&quot;x",
    ],
)
def test_hostile_generator_values_leave_only_a_product_and_a_version(generator: str) -> None:
    found = detect([], page(generator))
    assert found == Detection("WordPress", "6.8.1", "meta generator")


def test_an_absurd_version_is_not_kept() -> None:
    found = detect([], page("WordPress " + "9" * 5000))
    assert found == Detection("WordPress", "", "meta generator")


@given(st.text(max_size=400), st.text(max_size=200))
def test_whatever_a_site_sends_the_result_is_bounded_and_plain(generator: str, header: str) -> None:
    body = f'<meta name="generator" content="{generator}"><p>{generator}</p>'.encode("utf-8", "replace")
    found = detect([("X-Generator", header), ("X-Powered-By", header)], body)
    if found is not None:
        assert len(found.version) <= MAX_VERSION_CHARS
        assert all(char.isalnum() or char in ".-" for char in found.version)
        assert found.evidence.isprintable() and "<" not in found.evidence


def test_only_news_is_a_change() -> None:
    assert is_change(("", ""), Detection("WordPress", "6.8.1", "meta generator"))
    assert is_change(("WordPress", "6.8.1"), Detection("WordPress", "6.9", "meta generator"))
    assert is_change(("WordPress", "6.8.1"), Detection("Drupal", "", "page content"))
    assert not is_change(("WordPress", "6.8.1"), Detection("WordPress", "6.8.1", "meta generator"))
    assert not is_change(("WordPress", "6.8.1"), Detection("WordPress", "", "page content"))
