"""Writing the agency back as a config file, in the format ``apply`` reads.

Every field is written, defaults included, so that the file says everything there is to know
and applying it to the same database changes nothing. Mapping keys come in a fixed order and
lists are sorted by key, so two exports of the same data are identical.
"""

from __future__ import annotations

from typing import Any

import yaml

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.clients.models import Client, Contact, MaintenanceWindow, Site
from veilleur.domain.validators import WEEKDAYS, check_holiday
from veilleur.monitoring.models import Monitor
from veilleur.notifications.models import NotificationChannel, OnCallAddress
from veilleur.plans.models import Plan
from veilleur.portal.models import ClientUser, PortalDomain
from veilleur.statuspages.models import StatusComponent, StatusPage

HEADER = (
    "# Veilleur configuration, written by 'veilleur export'.\n"
    "# Apply it with 'veilleur apply FILE'; every field is described in docs/config-file.md.\n"
    "# It holds the notification channels' URLs and secrets: keep it where secrets are kept.\n"
    "# Status page passwords are never written: left out, a page keeps the one it has.\n"
)


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key; lists of plain values (opening hours, holidays,
    site keys) on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    plain = all(not isinstance(item, dict | list) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=plain)


_Dumper.add_representer(list, _represent_list)


def export_agency(agency: Agency) -> str:
    document: dict[str, Any] = {"agency": agency_section(agency)}
    calendar = BusinessCalendar.objects.filter(agency=agency).first()
    if calendar is not None:
        document["calendar"] = calendar_section(calendar)
    document["plans"] = [plan_entry(plan) for plan in Plan.objects.filter(agency=agency).order_by("key")]
    clients = Client.objects.filter(agency=agency).select_related("plan").order_by("key")
    document["clients"] = [client_entry(client) for client in clients]
    channels = NotificationChannel.objects.filter(agency=agency).select_related("plan", "client")
    document["channels"] = [channel_entry(channel) for channel in channels.order_by("key")]
    addresses = OnCallAddress.objects.filter(agency=agency).select_related("plan", "client")
    document["on_call"] = sorted((on_call_entry(address) for address in addresses), key=_on_call_order)
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def agency_section(agency: Agency) -> dict[str, Any]:
    return {
        "name": agency.name,
        "base_url": agency.base_url,
        "sender_email": agency.sender_email,
        "time_zone": agency.time_zone,
        "language": agency.language,
        "country": agency.country,
        "branding": {
            "logo_url": agency.logo_url,
            "primary_color": agency.primary_color,
            "accent_color": agency.accent_color,
        },
        "portal_domain": getattr(PortalDomain.objects.filter(agency=agency).first(), "domain", ""),
    }


def calendar_section(calendar: BusinessCalendar) -> dict[str, Any]:
    hours = calendar.weekly_hours or {}
    return {
        "time_zone": calendar.time_zone,
        "hours": {day: list(hours[day]) for day in WEEKDAYS if hours.get(day)},
        "holidays": sorted({check_holiday(day) for day in calendar.holidays or []}),
    }


def plan_entry(plan: Plan) -> dict[str, Any]:
    target = plan.uptime_target_percent
    return {
        "key": plan.key,
        "name": plan.name,
        "check_interval_seconds": plan.check_interval_seconds,
        "price_min_eur": plan.price_min_eur,
        "price_max_eur": plan.price_max_eur,
        "email_alerts": plan.email_alerts,
        "monthly_report": plan.monthly_report,
        "maintenance_log": plan.maintenance_log,
        "status_page": plan.status_page,
        "client_portal": plan.client_portal,
        "ssl_monitoring": plan.ssl_monitoring,
        "performance_monitoring": plan.performance_monitoring,
        "quarterly_review": plan.quarterly_review,
        "response_target_minutes": plan.response_target_minutes,
        "response_calendar": plan.response_calendar,
        # A YAML number reads back as the same decimal: 99.900 is written 99.9.
        "uptime_target_percent": None if target is None else float(target),
        "service_credits": [
            {"below_percent": step["below_percent"], "credit_percent": step["credit_percent"]}
            for step in plan.service_credits
        ],
        "confirmation_checks": plan.confirmation_checks,
        "certificate_warning_days": list(plan.certificate_warning_days),
        "certificate_lifetime_fraction": float(plan.certificate_lifetime_fraction),
        # Domains and CMS versions.
        "cms_versions": plan.cms_versions,
        "domain_warning_days": list(plan.domain_warning_days),
    }


def client_entry(client: Client) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": client.key,
        "name": client.name,
        "plan": client.plan.key,
        "language": client.language,
        "time_zone": client.time_zone,
    }
    branding = {
        name: value
        for name, value in (
            ("logo_url", client.logo_url),
            ("primary_color", client.primary_color),
            ("accent_color", client.accent_color),
        )
        if value  # an empty value means "the agency's": left out
    }
    if branding:
        entry["branding"] = branding
    entry["contacts"] = [contact_entry(contact) for contact in Contact.objects.filter(client=client)]
    # Who may sign in to the portal (revoked people are left out); never a password.
    users = ClientUser.objects.filter(client=client, revoked_at__isnull=True).order_by("email")
    entry["portal_users"] = [{"email": user.email, "name": user.name} for user in users]
    entry["sites"] = [site_entry(site) for site in Site.objects.filter(client=client).order_by("key")]
    windows = MaintenanceWindow.objects.filter(client=client).prefetch_related("sites").order_by("key")
    entry["maintenance_windows"] = [window_entry(window) for window in windows]
    page = StatusPage.objects.filter(client=client).first()
    if page is not None:
        entry["status_page"] = status_page_entry(page)
    return entry


def status_page_entry(page: StatusPage) -> dict[str, Any]:
    # No password: only its hash is stored, and apply keeps the stored one when none is given.
    components = StatusComponent.objects.filter(page=page).select_related("site").order_by("position", "id")
    return {
        "slug": page.slug,
        "title": page.title,
        "language": page.language,
        "visibility": page.visibility,
        "logo_url": page.logo_url,
        "favicon_url": page.favicon_url,
        "primary_color": page.primary_color,
        "accent_color": page.accent_color,
        "footer_text": page.footer_text,
        "footer_url": page.footer_url,
        "custom_domain": page.custom_domain,
        "embed_origins": page.embed_origins,
        "components": [
            {"site": component.site.key, "name": component.public_name, "group": component.group}
            for component in components
        ],
    }


def contact_entry(contact: Contact) -> dict[str, Any]:
    return {
        "email": contact.email,
        "name": contact.name,
        "receives_reports": contact.receives_reports,
        "receives_incident_notices": contact.receives_incident_notices,
        "receives_maintenance_notices": contact.receives_maintenance_notices,
    }


def site_entry(site: Site) -> dict[str, Any]:
    monitors = Monitor.objects.filter(site=site).order_by("key")
    return {
        "key": site.key,
        "name": site.name,
        "url": site.url,
        "apdex_threshold_ms": site.apdex_threshold_ms,
        "monitors": [monitor_entry(monitor) for monitor in monitors],
    }


def monitor_entry(monitor: Monitor) -> dict[str, Any]:
    return {
        "key": monitor.key,
        "url": monitor.url,
        "method": monitor.method,
        "headers": dict(monitor.request_headers or {}),
        "expected_status": monitor.expected_status,
        "keyword": monitor.keyword,
        "forbidden_keyword": monitor.forbidden_keyword,
        "timeout": monitor.timeout_seconds,
        "follow_redirects": monitor.follow_redirects,
        "interval": monitor.interval_seconds,
        "paused": monitor.paused,
    }


def window_entry(window: MaintenanceWindow) -> dict[str, Any]:
    seconds = f":{window.start_time.second:02d}" if window.start_time.second else ""
    return {
        "key": window.key,
        "title": window.title,
        "start": f"{window.start_date.isoformat()} {window.start_time.strftime('%H:%M')}{seconds}",
        "duration_minutes": window.duration_minutes,
        "rrule": window.rrule,
        "sites": sorted(site.key for site in window.sites.all()),
        # Written only when there is one, so files without notes export as they were.
        **({"public_note": window.public_note} if window.public_note else {}),
    }


def scope_entry(plan: Plan | None, client: Client | None) -> dict[str, str] | None:
    """``{plan: KEY}``, ``{client: KEY}``, or None (left out) for every client."""
    if client is not None:
        return {"client": client.key}
    if plan is not None:
        return {"plan": plan.key}
    return None


def channel_entry(channel: NotificationChannel) -> dict[str, Any]:
    # The URL is written in full, and a webhook's signing secret too: applying the export to a
    # new database must give the same channels, which receivers already trust.
    entry: dict[str, Any] = {
        "key": channel.key,
        "name": channel.name,
        "kind": channel.kind,
        "url": channel.url,
    }
    if channel.kind == NotificationChannel.Kind.WEBHOOK:
        entry["secret"] = channel.secret
    scope = scope_entry(channel.plan, channel.client)
    if scope is not None:
        entry["scope"] = scope
    entry["events"] = list(channel.events)
    entry["enabled"] = channel.enabled
    return entry


def on_call_entry(address: OnCallAddress) -> dict[str, Any]:
    entry: dict[str, Any] = {"email": address.email}
    scope = scope_entry(address.plan, address.client)
    if scope is not None:
        entry["scope"] = scope
    entry["escalation"] = address.escalation
    return entry


def _on_call_order(entry: dict[str, Any]) -> tuple[str, str, str]:
    scope = entry.get("scope") or {}
    return entry["email"], scope.get("plan", ""), scope.get("client", "")
