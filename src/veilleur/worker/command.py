"""``veilleur worker``: the periodic jobs of the worker role."""

from __future__ import annotations

from datetime import datetime

from veilleur.certificates.jobs import CERTIFICATE_PERIOD_SECONDS, run_certificate_job
from veilleur.clients.logos import refresh_logos
from veilleur.cms.checks import check_software
from veilleur.domains.lookups import refresh_registrations
from veilleur.domains.notices import send_domain_notices
from veilleur.history.jobs import apply_retention, compact_finished_hours
from veilleur.incidents.degraded import DEGRADED_PERIOD_SECONDS, evaluate_degraded_performance
from veilleur.lab.jobs import LAB_PERIOD_SECONDS, measure_next_site
from veilleur.notifications.delivery import DELIVERY_PERIOD_SECONDS, deliver_outbox
from veilleur.notifications.sla_notices import send_sla_notices
from veilleur.reports.sending import REPORT_PERIOD_SECONDS, send_scheduled_reports
from veilleur.statuspages.domains import verify_pending
from veilleur.worker.loop import SLOW, Job, Worker

# Hours are compacted a few minutes after they end; checking every minute keeps the backlog
# small after a restart. Retention only has whole days to delete.
COMPACTION_PERIOD_SECONDS = 60
RETENTION_PERIOD_SECONDS = 3600
# Warnings and breach notices go out within this many seconds of their time.
SLA_TIMER_PERIOD_SECONDS = 10
# A new custom domain is looked at within a minute; each keeps its own 10-minute re-check pace.
DOMAIN_VERIFICATION_PERIOD_SECONDS = 60
# A new or changed logo address is fetched (through the SSRF guard) within a minute.
LOGO_PERIOD_SECONDS = 60
# Domains and CMS versions: a new site's domain and software are looked at within a few
# minutes; each keeps its own pace (a registry at most daily, a home page once a day).
DOMAIN_LOOKUP_PERIOD_SECONDS = 300
DOMAIN_NOTICE_PERIOD_SECONDS = 600
SOFTWARE_PERIOD_SECONDS = 300


def jobs() -> list[Job]:
    """The worker's jobs: those that mail or keep time on the prompt lane, those that wait on
    Chromium, the PDF renderer or the network on the slow one (loop.py)."""
    return [
        Job("compact finished hours", COMPACTION_PERIOD_SECONDS, _compact),
        Job("raw result retention", RETENTION_PERIOD_SECONDS, _retain),
        Job("deliver the outbox", DELIVERY_PERIOD_SECONDS, deliver_outbox),
        Job("response SLA timers", SLA_TIMER_PERIOD_SECONDS, send_sla_notices),
        Job("reports", REPORT_PERIOD_SECONDS, send_scheduled_reports, lane=SLOW),
        Job("custom domain verification", DOMAIN_VERIFICATION_PERIOD_SECONDS, verify_pending, lane=SLOW),
        Job("logos", LOGO_PERIOD_SECONDS, refresh_logos, lane=SLOW),
        Job("degraded performance", DEGRADED_PERIOD_SECONDS, evaluate_degraded_performance),
        Job("certificates", CERTIFICATE_PERIOD_SECONDS, run_certificate_job, lane=SLOW),
        Job("domain registrations", DOMAIN_LOOKUP_PERIOD_SECONDS, refresh_registrations, lane=SLOW),
        Job("domain expiry notices", DOMAIN_NOTICE_PERIOD_SECONDS, send_domain_notices),
        Job("software versions", SOFTWARE_PERIOD_SECONDS, check_software, lane=SLOW),
        Job("lab page metrics", LAB_PERIOD_SECONDS, measure_next_site, lane=SLOW),
    ]


def _compact(now: datetime) -> object:
    report = compact_finished_hours(now)
    return report if report.hours else None


def _retain(now: datetime) -> object:
    report = apply_retention(now)
    return report if report.blocks_deleted else None


def run_worker() -> int:
    Worker(jobs()).run_forever()
    return 0
