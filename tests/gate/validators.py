"""The standard validators, run by the gate and by ``scripts/validate-page``.

- axe-core (WCAG 2.1 A and AA rules), evaluated inside the page in Chromium. Its source is passed
  to ``page.evaluate``: a script tag could be refused by the page's Content-Security-Policy, an
  evaluation from the driver is not.
- The width a phone sees: at 390 px the page must be laid out at the screen's width (a missing
  viewport meta lays it out at 980 px and shrinks it) and must not scroll sideways.
- The Nu Html Checker (vnu.jar on the machine's Java), run once over every document collected.

Neither is written here: both come from ``tests/gate/package.json`` (``npm ci`` in that folder).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

GATE_DIR = Path(__file__).resolve().parent
NODE_MODULES = GATE_DIR / "node_modules"
AXE_SOURCE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run 'npm ci --ignore-scripts' in tests/gate (make test does)"

# What the gate fails on: axe reports impacts minor, moderate, serious and critical.
BLOCKING_IMPACTS = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE_WIDTH = 390


@dataclass(frozen=True)
class Finding:
    """One thing a validator refused, on one page as one visitor saw it."""

    where: str  # the page's address, with the language and width it was seen at
    validator: str  # axe, vnu or width
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.validator}] {self.message}"


def missing_tools() -> list[str]:
    """What the validators need and this machine lacks, said so that a person can fix it."""
    missing = [
        f"{path.relative_to(GATE_DIR)} ({INSTALL_HINT})"
        for path in (AXE_SOURCE, VNU_JAR)
        if not path.exists()
    ]
    if shutil.which("java") is None:
        missing.append("java (apt-get install default-jre-headless)")
    return missing


_axe_source: str | None = None


def axe_findings(page: Page, where: str) -> list[Finding]:
    """The serious and critical axe violations of the page as it is displayed now."""
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_SOURCE.read_text()
    results: dict[str, Any] = page.evaluate(
        """async ([source, tags]) => {
            if (!window.axe) { (0, eval)(source); }
            return await window.axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
        }""",
        [_axe_source, AXE_TAGS],
    )
    findings = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")
            findings.append(
                Finding(
                    where,
                    "axe",
                    f"{violation['id']} ({violation['impact']}) at {target}: {violation['help']}. {summary}",
                )
            )
    return findings


def width_findings(page: Page, where: str) -> list[Finding]:
    """At phone width: laid out at the screen's width, and nothing wider than the screen."""
    layout: dict[str, int] = page.evaluate(
        """() => ({
            viewport: window.innerWidth,
            document: document.documentElement.scrollWidth,
            screen: window.screen.width,
        })"""
    )
    findings = []
    if layout["viewport"] > layout["screen"]:
        findings.append(
            Finding(
                where,
                "width",
                f"laid out {layout['viewport']} px wide on a {layout['screen']} px screen, then shrunk: "
                "no <meta name=viewport content='width=device-width'>, or content that does not fit "
                f"({widest_elements(page)})",
            )
        )
    if layout["document"] > layout["viewport"]:
        findings.append(
            Finding(
                where,
                "width",
                f"scrolls sideways: {layout['document']} px of content in a {layout['viewport']} px window "
                f"({widest_elements(page)})",
            )
        )
    return findings


def widest_elements(page: Page) -> str:
    """The innermost elements that reach past the window's right edge: where to look."""
    names: list[str] = page.evaluate(
        """() => {
            const edge = document.documentElement.clientWidth;
            const past = [...document.body.querySelectorAll("*")].filter(
                (el) => el.getBoundingClientRect().right > edge + 0.5);
            const innermost = past.filter((el) => !past.some((other) => other !== el && el.contains(other)));
            return innermost.slice(0, 5).map((el) => {
                const cls = el.className && typeof el.className === "string"
                    ? "." + el.className.trim().split(/\\s+/).join(".") : "";
                const right = Math.round(el.getBoundingClientRect().right);
                return `${el.tagName.toLowerCase()}${cls} (right edge ${right} px)`;
            });
        }"""
    )
    return ", ".join(names) or "no single element: margins or padding"


def vnu_findings(documents: dict[Path, str]) -> list[Finding]:
    """Every error the Nu Html Checker finds in these files (path → where it came from), from one
    Java process for all of them: the checker's start-up costs more than checking a page."""
    if not documents:
        return []
    completed = subprocess.run(
        [
            "java",
            "-Xss2m",
            "-jar",
            str(VNU_JAR),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, documents),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        messages = json.loads(completed.stderr or completed.stdout)["messages"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise RuntimeError(f"the Nu Html Checker gave no report: {completed.stderr[-2000:]}") from exc
    by_url = {path.resolve().as_uri(): where for path, where in documents.items()}
    findings = []
    for message in messages:
        if message.get("type") != "error" and message.get("subType") != "fatal":
            continue
        url = message.get("url", "")
        where = by_url.get(url) or by_url.get(url.replace("file:/", "file:///", 1), url)
        line = message.get("lastLine", "?")
        extract = " ".join(message.get("extract", "").split())
        findings.append(Finding(where, "vnu", f"line {line}: {message['message']} «{extract}»"))
    return findings
