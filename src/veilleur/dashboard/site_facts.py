"""The "Software and domain" section of the client and site pages: per site, the CMS seen on
its home page and its latest changes, and its domain registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from veilleur.clients.models import Client, Site
from veilleur.cms.facts import SoftwareFacts, change_in_words, software_facts
from veilleur.domains.facts import DomainFacts, domain_facts


@dataclass(frozen=True)
class SiteFactsRow:
    site: Site
    software: SoftwareFacts
    changes: list[str]  # in words, newest first
    domain: DomainFacts


def site_facts_rows(client: Client, sites: list[Site], now: datetime, *, changes: int) -> list[SiteFactsRow]:
    """One row per site, or none at all when the plan includes neither feature (or the client is
    the demo's, whose sites are never looked at)."""
    plan = client.plan
    if client.demo or not (plan.cms_versions or plan.ssl_monitoring):
        return []
    rows = []
    for site in sites:
        site.client = client  # already loaded: no query per site for the plan
        software = software_facts(site, changes=changes)
        rows.append(
            SiteFactsRow(
                site=site,
                software=software,
                changes=[change_in_words(change) for change in software.changes],
                domain=domain_facts(site, now),
            )
        )
    return rows
