"""What recognising a site's CMS costs: ``probes.cms.detect`` on home pages of several sizes.

The detection runs once a day per site in the worker (never in the checker), on at most the first
512 KiB of the home page. This measures the CPU time of one detection, so that a day of it for
1,000 sites can be set against the checker's work (1,000 Premium monitors checked every 30 s make
2,880,000 checks a day).

Command: ``.venv/bin/python bench/sitefacts/cms_detect.py``.
"""

from __future__ import annotations

import time

from veilleur.probes.cms import MAX_SCANNED_BYTES, detect

HEADERS = [
    ("Server", "nginx"),
    ("Content-Type", "text/html; charset=UTF-8"),
    ("Link", '<https://www.example.com/wp-json/>; rel="https://api.w.org/"'),
    ("X-Powered-By", "PHP/8.3.1"),
]


def page(size: int) -> bytes:
    head = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Accueil</title>'
        '<meta name="generator" content="WordPress 6.8.1"><meta name="generator" content="WooCommerce 8.5.2">'
        '<link rel="stylesheet" href="/wp-content/themes/shop/style.css"></head><body>'
    )
    paragraph = "<p>Pain au levain, viennoiseries et gâteaux de saison, livrés le matin.</p>\n"
    body = paragraph * max(1, (size - len(head)) // len(paragraph))
    return (head + body + "</body></html>").encode()


def seconds_per_detection(body: bytes, rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        detect(HEADERS, body)
    return (time.process_time() - start) / rounds


def main() -> None:
    print("| home page | CPU per detection | CPU per day, 1,000 sites |")
    print("|---|---:|---:|")
    for size, rounds in ((30_000, 200), (150_000, 50), (MAX_SCANNED_BYTES, 20)):
        cost = seconds_per_detection(page(size), rounds)
        print(f"| {size // 1024} KiB | {cost * 1000:.2f} ms | {cost * 1000:.1f} s |")


if __name__ == "__main__":
    main()
