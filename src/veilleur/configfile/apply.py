"""Making the database match the file: compare object by object, list each change, write it.

Objects are matched by their stable keys (contacts by e-mail). Every object of the file goes
through Django's ``full_clean`` before it is saved, unchanged ones included, because a change
elsewhere (a plan's shorter interval) can make an untouched monitor invalid. The caller runs
all of this inside one transaction and rolls it back on any problem or on a dry run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import translation

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.accounts.provisioning import resolve_agency
from veilleur.clients.models import Client, Contact, MaintenanceWindow, Site
from veilleur.configfile.checks import channel_problems, duplicate_keys, unknown_references
from veilleur.configfile.issues import ConfigFileError, Issue, Path, format_path
from veilleur.configfile.loader import Document
from veilleur.configfile.schema import (
    MIN_PAGE_PASSWORD_LENGTH,
    ChannelSpec,
    ClientSpec,
    ComponentSpec,
    ConfigFile,
    ContactSpec,
    MonitorSpec,
    OnCallSpec,
    PlanSpec,
    PortalUserSpec,
    ScopeSpec,
    SiteSpec,
    StatusPageSpec,
    WindowSpec,
    validate_config,
)
from veilleur.monitoring.models import Monitor
from veilleur.notifications.models import NotificationChannel, OnCallAddress, describe_scope
from veilleur.plans.models import Plan
from veilleur.portal.models import ClientUser, PortalDomain
from veilleur.portal.staff import invite_after_commit
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription

# Model attribute → where the file holds it, relative to the object's own entry.
FieldMap = Mapping[str, Path]

AGENCY_FIELDS: FieldMap = {
    "name": ("name",),
    "base_url": ("base_url",),
    "sender_email": ("sender_email",),
    "time_zone": ("time_zone",),
    "language": ("language",),
    "country": ("country",),
    "logo_url": ("branding", "logo_url"),
    "primary_color": ("branding", "primary_color"),
    "accent_color": ("branding", "accent_color"),
}
CALENDAR_FIELDS: FieldMap = {
    "time_zone": ("time_zone",),
    "weekly_hours": ("hours",),
    "holidays": ("holidays",),
}
PLAN_FIELDS: FieldMap = {name: (name,) for name in PlanSpec.model_fields}
CLIENT_FIELDS: FieldMap = {
    "key": ("key",),
    "name": ("name",),
    "plan": ("plan",),
    "language": ("language",),
    "time_zone": ("time_zone",),
    "logo_url": ("branding", "logo_url"),
    "primary_color": ("branding", "primary_color"),
    "accent_color": ("branding", "accent_color"),
    # Report mechanics.
    "report_day": ("reports", "day"),
    "report_language": ("reports", "language"),
    "report_send_after_days": ("reports", "send_after_days"),
}
CONTACT_FIELDS: FieldMap = {name: (name,) for name in ContactSpec.model_fields}
PORTAL_USER_FIELDS: FieldMap = {"email": ("email",), "name": ("name",)}
SITE_FIELDS: FieldMap = {
    name: (name,) for name in ("key", "name", "url", "apdex_threshold_ms", "degraded_above_ms")
}
MONITOR_FIELDS: FieldMap = {
    "key": ("key",),
    "url": ("url",),
    "method": ("method",),
    "request_headers": ("headers",),
    "expected_status": ("expected_status",),
    "keyword": ("keyword",),
    "forbidden_keyword": ("forbidden_keyword",),
    "timeout_seconds": ("timeout",),
    "follow_redirects": ("follow_redirects",),
    "interval_seconds": ("interval",),
    "paused": ("paused",),
}
CHANNEL_FIELDS: FieldMap = {
    "key": ("key",),
    "name": ("name",),
    "kind": ("kind",),
    "url": ("url",),
    "secret": ("secret",),
    "plan": ("scope", "plan"),
    "client": ("scope", "client"),
    "events": ("events",),
    "enabled": ("enabled",),
}
ON_CALL_FIELDS: FieldMap = {
    "email": ("email",),
    "plan": ("scope", "plan"),
    "client": ("scope", "client"),
    "escalation": ("escalation",),
}
STATUS_PAGE_FIELDS: FieldMap = {
    **{name: (name,) for name in StatusPage.SETTINGS},
    "password_hash": ("password",),
}
COMPONENT_FIELDS: FieldMap = {"site": ("site",), "public_name": ("name",), "group": ("group",)}
# Fields whose values are credentials: a change is announced, never shown.
SECRET_FIELDS = frozenset({"url", "secret"})
WINDOW_FIELDS: FieldMap = {
    "key": ("key",),
    "title": ("title",),
    "start_date": ("start",),
    "start_time": ("start",),
    "duration_minutes": ("duration_minutes",),
    "rrule": ("rrule",),
    "sites": ("sites",),
    "public_note": ("public_note",),
}


# Unordered collections, where "what was added, what was removed" reads better than before → after.
SET_LIKE_FIELDS = frozenset({"holidays", "sites", "embed_origins"})


@dataclass(frozen=True)
class Change:
    sign: str  # "+" created, "~" changed, "-" deleted
    kind: str
    label: str = ""
    details: str = ""

    def __str__(self) -> str:
        head = f"{self.sign} {self.kind}" + (f" {self.label}" if self.label else "")
        return f"{head}: {self.details}" if self.details else head


@dataclass
class Outcome:
    changes: list[Change] = field(default_factory=list)
    # Objects the file no longer has, left in place because --prune was not given.
    kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Extra:
    """A stored object the file does not mention."""

    kind: str
    label: str
    instance: models.Model


def apply_document(document: Document, *, agency_key: str | None, dry_run: bool, prune: bool) -> Outcome:
    """Check the whole file, then apply it in one transaction; raise ConfigFileError (and write
    nothing) when anything is wrong. A dry run goes through the very same steps, then rolls back."""
    with transaction.atomic():
        agency = resolve_agency(agency_key, create_if_empty=True)
        config = _checked_config(document, agency)
        applier = Applier(agency, config, prune=prune)
        applier.run()
        if applier.issues:
            raise ConfigFileError(applier.issues)
        if dry_run:
            transaction.set_rollback(True)
    return applier.outcome


def _checked_config(document: Document, agency: Agency) -> ConfigFile:
    config, schema_issues = validate_config(document.data)
    # A value the reader already refused (e.g. the impossible date 2026-13-01) was read as
    # null: the schema's "expected a date, got null" about it would only be noise.
    already_reported = {issue.path for issue in document.issues}
    issues = document.issues + [issue for issue in schema_issues if issue.path not in already_reported]
    stored_plans = set(Plan.objects.filter(agency=agency).values_list("key", flat=True))
    stored_clients = set(Client.objects.filter(agency=agency).values_list("key", flat=True))
    issues += duplicate_keys(document.data) + unknown_references(document.data, stored_plans, stored_clients)
    issues += channel_problems(document.data)
    if issues or config is None:
        raise ConfigFileError(issues)
    return config


def show(value: Any) -> str:
    """A stored or wanted value, written the way the file writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Plan):
        return value.key
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def describe_change(label: str, before: Any, after: Any) -> str:
    """``timeout 10 → 5``; sets as what was added and removed (``holidays +2027-01-01
    -2025-01-01``); mappings key by key (``hours.mon [...] → [...]``)."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [*before, *(key for key in after if key not in before)]
        return ", ".join(
            describe_change(f"{label}.{key}", *_pair(before.get(key), after.get(key)))
            for key in keys
            if before.get(key) != after.get(key)
        )
    if label in SET_LIKE_FIELDS and isinstance(before, list) and isinstance(after, list):
        added = [item for item in after if item not in before]
        removed = [item for item in before if item not in after]
        parts = [f"+{item}" for item in added] + [f"-{item}" for item in removed]
        return f"{label} {' '.join(parts)}" if parts else f"{label} reordered"
    return f"{label} {show(before)} → {show(after)}"


def _pair(before: Any, after: Any) -> tuple[Any, Any]:
    """A key missing on one side of a mapping shown as an empty list when the other side is a
    list: a weekday without opening hours is "[]", not "null"."""
    if before is None and isinstance(after, list):
        return [], after
    if after is None and isinstance(before, list):
        return before, []
    return before, after


def assign(instance: models.Model, wanted: Mapping[str, Any], fields: FieldMap) -> list[str]:
    """Set each wanted value that differs; return the differences as "field old → new" (for a
    credential, only "field changed")."""
    differences = []
    for attribute, value in wanted.items():
        current = getattr(instance, attribute)
        if current != value:
            label = format_path(fields[attribute])
            changed = (
                f"{label} changed" if attribute in SECRET_FIELDS else describe_change(label, current, value)
            )
            differences.append(changed)
            setattr(instance, attribute, value)
    return differences


class Applier:
    """One pass over the file; collects the changes made and the problems met."""

    def __init__(self, agency: Agency, config: ConfigFile, *, prune: bool) -> None:
        self.agency = agency
        self.config = config
        self.prune = prune
        self.issues: list[Issue] = []
        self.outcome = Outcome()
        self._nested_extras: list[_Extra] = []

    def run(self) -> None:
        self._apply_agency()
        self._apply_portal_domain()
        self._apply_calendar()
        plans = self._apply_plans()
        clients = self._apply_clients(plans)
        self._apply_channels(plans, clients)
        self._apply_on_call(plans, clients)
        self._settle_extras(plans)

    # Bookkeeping -------------------------------------------------------------------------------

    def _record(self, sign: str, kind: str, label: str = "", details: Iterable[str] = ()) -> None:
        self.outcome.changes.append(Change(sign, kind, label, ", ".join(details)))

    def _save(
        self,
        instance: models.Model,
        path: Path,
        fields: FieldMap,
        *,
        write: bool,
        parents: Iterable[str] = (),
    ) -> bool:
        """Validate like a form would, then save when ``write``; False when it cannot be saved.

        A parent that could not be saved leaves the child without a key: the child is still
        validated (without that link) so that its own mistakes are reported too.
        """
        unsaved_parents = [name for name in parents if getattr(instance, name).pk is None]
        try:
            instance.full_clean(exclude=unsaved_parents)
        except ValidationError as exc:
            self._report(exc, path, fields)
            return False
        if unsaved_parents:
            return False
        if write:
            instance.save()
        return True

    def _report(self, error: ValidationError, path: Path, fields: FieldMap) -> None:
        with translation.override("en"):  # the config file speaks English, whoever applies it
            by_field = (
                error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            )
        for name, messages in by_field.items():
            where = (*path, *fields.get(name, ()))
            self.issues.extend(Issue(where, message) for message in messages)

    # Agency and calendar ---------------------------------------------------------------------------

    def _apply_agency(self) -> None:
        spec = self.config.agency
        wanted = {
            "name": spec.name,
            "base_url": spec.base_url,
            "sender_email": spec.sender_email,
            "time_zone": spec.time_zone,
            "language": spec.language,
            "country": spec.country,
            "logo_url": spec.branding.logo_url,
            "primary_color": spec.branding.primary_color,
            "accent_color": spec.branding.accent_color,
        }
        differences = assign(self.agency, wanted, AGENCY_FIELDS)
        if self._save(self.agency, ("agency",), AGENCY_FIELDS, write=bool(differences)) and differences:
            self._record("~", "agency", details=differences)

    def _apply_portal_domain(self) -> None:
        wanted = self.config.agency.portal_domain
        if wanted is None:
            return  # not in the file: the stored domain stays as it is
        stored = PortalDomain.objects.filter(agency=self.agency).first()
        current = stored.domain if stored else ""
        if wanted == current:
            return
        if not wanted:
            assert stored is not None
            stored.delete()
            self._record("-", "portal domain", current)
            return
        if PortalDomain.objects.filter(domain=wanted).exclude(agency=self.agency).exists():
            self.issues.append(Issue(("agency", "portal_domain"), "this domain is already another agency's"))
            return
        row = stored or PortalDomain(agency=self.agency)
        row.domain = wanted
        if self._save(row, ("agency",), {"domain": ("portal_domain",)}, write=True):
            self._record(
                "~" if stored else "+",
                "portal domain",
                wanted,
                [describe_change("domain", current, wanted)] if stored else [],
            )

    def _apply_calendar(self) -> None:
        spec = self.config.calendar
        if spec is None:
            return  # no calendar section: the stored calendar stays as it is
        calendar = BusinessCalendar.objects.filter(agency=self.agency).first()
        is_new = calendar is None
        if calendar is None:
            calendar = BusinessCalendar(agency=self.agency)
        wanted = {
            "time_zone": spec.time_zone or self.config.agency.time_zone,
            "weekly_hours": spec.hours.as_stored(),
            "holidays": sorted({day.isoformat() for day in spec.holidays}),
        }
        differences = assign(calendar, wanted, CALENDAR_FIELDS)
        write = is_new or bool(differences)
        if self._save(calendar, ("calendar",), CALENDAR_FIELDS, write=write) and write:
            self._record("+" if is_new else "~", "calendar", details=[] if is_new else differences)

    # Plans -----------------------------------------------------------------------------------------

    def _apply_plans(self) -> dict[str, Plan]:
        """All the agency's plans by key, those of the file brought up to date."""
        plans = {plan.key: plan for plan in Plan.objects.filter(agency=self.agency)}
        for index, spec in enumerate(self.config.plans or []):
            plans[spec.key] = self._apply_plan(spec, plans.get(spec.key), ("plans", index))
        return plans

    def _apply_plan(self, spec: PlanSpec, plan: Plan | None, path: Path) -> Plan:
        is_new = plan is None
        if plan is None:
            plan = Plan(agency=self.agency, key=spec.key)
        wanted = spec.model_dump(exclude={"key", "service_credits"})
        wanted["service_credits"] = [step.model_dump() for step in spec.service_credits]
        differences = assign(plan, wanted, PLAN_FIELDS)
        self._save_and_record(plan, path, PLAN_FIELDS, "plan", spec.key, is_new, differences)
        return plan

    def _save_and_record(
        self,
        instance: models.Model,
        path: Path,
        fields: FieldMap,
        kind: str,
        label: str,
        is_new: bool,
        differences: list[str],
        parents: Iterable[str] = (),
    ) -> bool:
        write = is_new or bool(differences)
        saved = self._save(instance, path, fields, write=write, parents=parents)
        if saved and write:
            self._record("+" if is_new else "~", kind, label, [] if is_new else differences)
        return saved

    # Clients and what they hold ----------------------------------------------------------------------

    def _apply_clients(self, plans: dict[str, Plan]) -> dict[str, Client]:
        """All the agency's clients by key, those of the file brought up to date (a client that
        could not be saved is there too, without an id, so what refers to it is still checked)."""
        clients = {
            client.key: client for client in Client.objects.filter(agency=self.agency).select_related("plan")
        }
        for index, spec in enumerate(self.config.clients):
            clients[spec.key] = self._apply_client(
                spec, clients.get(spec.key), plans[spec.plan], ("clients", index)
            )
        return clients

    def _apply_client(self, spec: ClientSpec, client: Client | None, plan: Plan, path: Path) -> Client:
        is_new = client is None
        if client is None:
            client = Client(agency=self.agency, key=spec.key)
        wanted: dict[str, Any] = {
            "name": spec.name,
            "language": spec.language or self.config.agency.language,
            "time_zone": spec.time_zone or self.config.agency.time_zone,
            "logo_url": spec.branding.logo_url,
            "primary_color": spec.branding.primary_color,
            "accent_color": spec.branding.accent_color,
            "report_day": spec.reports.day,
            "report_language": spec.reports.language or "",
            "report_send_after_days": spec.reports.send_after_days,
        }
        differences = assign(client, wanted, CLIENT_FIELDS)
        current_plan = client.plan if client.plan_id else None
        if current_plan is None or current_plan.key != plan.key:
            differences.append(describe_change("plan", current_plan, plan))
        client.plan = plan  # the very instance applied above, so checks see its new interval
        self._save_and_record(client, path, CLIENT_FIELDS, "client", spec.key, is_new, differences, ["plan"])
        self._apply_contacts(client, spec.contacts, path)
        self._apply_portal_users(client, plan, spec.portal_users, path)
        sites = self._apply_sites(client, spec.sites, path)
        self._apply_windows(client, spec.maintenance_windows, sites, path)
        self._apply_status_page(client, spec, plan, sites, path)
        return client

    def _stored_children(
        self, model: type[models.Model], parent: str, owner: models.Model, key: str
    ) -> dict[Any, Any]:
        """The rows under ``owner`` by key; none for an owner that is new (or failed to save)."""
        if owner.pk is None:
            return {}
        return {getattr(child, key): child for child in model._default_manager.filter(**{parent: owner})}

    def _note_extras(
        self, kind: str, prefix: str, stored: Mapping[str, models.Model], wanted: Iterable[str]
    ) -> None:
        for key in sorted(set(stored) - set(wanted)):
            self._nested_extras.append(_Extra(kind, f"{prefix}/{key}", stored[key]))

    def _apply_contacts(self, client: Client, specs: list[ContactSpec], client_path: Path) -> None:
        stored: dict[str, Contact] = self._stored_children(Contact, "client", client, "email")
        for index, spec in enumerate(specs):
            contact = stored.get(spec.email)
            is_new = contact is None
            if contact is None:
                contact = Contact(agency=self.agency, email=spec.email)
            contact.client = client
            differences = assign(contact, spec.model_dump(exclude={"email"}), CONTACT_FIELDS)
            path = (*client_path, "contacts", index)
            label = f"{client.key}/{spec.email}"
            self._save_and_record(
                contact, path, CONTACT_FIELDS, "contact", label, is_new, differences, ["client"]
            )
        self._note_extras("contact", client.key, stored, (spec.email for spec in specs))

    def _apply_portal_users(
        self, client: Client, plan: Plan, specs: list[PortalUserSpec], client_path: Path
    ) -> None:
        """New people are created and invited once the whole file is applied (an invitation
        mail leaves only after the commit, never from a dry run). People missing from the file
        keep their access: revoking is done from the client page or the API."""
        stored: dict[str, ClientUser] = self._stored_children(ClientUser, "client", client, "email")
        for index, spec in enumerate(specs):
            path = (*client_path, "portal_users", index)
            if not plan.client_portal:
                self.issues.append(Issue(path, "the plan of this client does not include the client portal"))
                continue
            user = stored.get(spec.email)
            is_new = user is None
            if user is None:
                user = ClientUser(agency=self.agency, email=spec.email)
                user.set_unusable_password()
            user.client = client
            differences = assign(user, {"name": spec.name}, PORTAL_USER_FIELDS)
            label = f"{client.key}/{spec.email}"
            saved = self._save_and_record(
                user, path, PORTAL_USER_FIELDS, "portal user", label, is_new, differences, ["client"]
            )
            if saved and is_new:
                transaction.on_commit(partial(invite_after_commit, user.pk))

    def _apply_sites(self, client: Client, specs: list[SiteSpec], client_path: Path) -> dict[str, Site]:
        stored: dict[str, Site] = self._stored_children(Site, "client", client, "key")
        sites = {}
        for index, spec in enumerate(specs):
            site = stored.get(spec.key)
            is_new = site is None
            if site is None:
                site = Site(agency=self.agency, key=spec.key)
            site.client = client
            wanted = {
                "name": spec.name,
                "url": spec.url,
                "apdex_threshold_ms": spec.apdex_threshold_ms,
                "degraded_above_ms": spec.degraded_above_ms,
            }
            differences = assign(site, wanted, SITE_FIELDS)
            path = (*client_path, "sites", index)
            label = f"{client.key}/{spec.key}"
            self._save_and_record(site, path, SITE_FIELDS, "site", label, is_new, differences, ["client"])
            self._apply_monitors(site, spec, label, path)
            sites[spec.key] = site
        self._note_extras("site", client.key, stored, sites)
        return sites

    def _apply_monitors(self, site: Site, site_spec: SiteSpec, site_label: str, site_path: Path) -> None:
        stored: dict[str, Monitor] = self._stored_children(Monitor, "site", site, "key")
        for index, spec in enumerate(site_spec.monitors):
            monitor = stored.get(spec.key)
            is_new = monitor is None
            if monitor is None:
                monitor = Monitor(agency=self.agency, key=spec.key)
            monitor.site = site
            differences = assign(monitor, _monitor_values(spec, site_spec), MONITOR_FIELDS)
            path = (*site_path, "monitors", index)
            label = f"{site_label}/{spec.key}"
            self._save_and_record(
                monitor, path, MONITOR_FIELDS, "monitor", label, is_new, differences, ["site"]
            )
        self._note_extras("monitor", site_label, stored, (spec.key for spec in site_spec.monitors))

    def _apply_windows(
        self, client: Client, specs: list[WindowSpec], sites: dict[str, Site], client_path: Path
    ) -> None:
        stored: dict[str, MaintenanceWindow] = self._stored_children(
            MaintenanceWindow, "client", client, "key"
        )
        for index, spec in enumerate(specs):
            window = stored.get(spec.key)
            is_new = window is None
            if window is None:
                window = MaintenanceWindow(agency=self.agency, key=spec.key)
            window.client = client
            path = (*client_path, "maintenance_windows", index)
            self._apply_window(window, spec, [sites[key] for key in spec.sites], path, is_new)
        self._note_extras("maintenance window", client.key, stored, (spec.key for spec in specs))

    def _apply_window(
        self, window: MaintenanceWindow, spec: WindowSpec, sites: list[Site], path: Path, is_new: bool
    ) -> None:
        differences = assign(window, {"title": spec.title}, WINDOW_FIELDS)
        current_start = None if is_new else datetime.combine(window.start_date, window.start_time)
        if current_start != spec.start:
            differences.append(describe_change("start", current_start, spec.start))
            window.start_date, window.start_time = spec.start.date(), spec.start.time()
        wanted = {
            "duration_minutes": spec.duration_minutes,
            "rrule": spec.rrule,
            "public_note": spec.public_note,
        }
        differences += assign(window, wanted, WINDOW_FIELDS)
        write_row = is_new or bool(differences)
        # The site list is a many-to-many relation: compared by key, written after the row.
        current_sites = [] if is_new else sorted(window.sites.values_list("key", flat=True))
        wanted_sites = sorted(site.key for site in sites)
        if current_sites != wanted_sites:
            differences.append(describe_change("sites", current_sites, wanted_sites))
        saved = self._save(window, path, WINDOW_FIELDS, write=write_row, parents=["client"])
        if not saved or any(site.pk is None for site in sites):
            return
        if current_sites != wanted_sites:
            window.sites.set(sites)
        if is_new or differences:
            label = f"{window.client.key}/{spec.key}"
            self._record("+" if is_new else "~", "maintenance window", label, [] if is_new else differences)

    # Status pages ---------------------------------------------------------------------------------------

    def _apply_status_page(
        self, client: Client, spec: ClientSpec, plan: Plan, sites: dict[str, Site], client_path: Path
    ) -> None:
        stored = StatusPage.objects.filter(client=client).first() if client.pk else None
        page_spec = spec.status_page
        if page_spec is None:
            if stored is not None:  # kept, and listed, unless --prune
                self._nested_extras.append(_Extra("status page", client.key, stored))
            return
        path = (*client_path, "status_page")
        if not plan.status_page:
            self.issues.append(
                Issue(
                    path,
                    f"the plan {plan.key!r} does not include a status page: remove this section or "
                    "move the client to a plan with status_page: true",
                )
            )
            return
        is_new = stored is None
        page = stored if stored is not None else StatusPage(agency=self.agency)
        page.client = client
        differences = self._set_page_values(page, page_spec, spec, client)
        if page.is_protected and not page.password_hash:
            message = (
                "a password-protected page needs a password: give 'password' "
                f"(at least {MIN_PAGE_PASSWORD_LENGTH} characters)"
            )
            self.issues.append(Issue((*path, "password"), message))
            return
        wanted = [(sites.get(component.site), component) for component in page_spec.components]
        current = [] if is_new else _stored_components(page)
        components_change = _components_change(current, [(c.site, c.name, c.group) for _, c in wanted])
        write_row = is_new or bool(differences)
        if not self._save(page, path, STATUS_PAGE_FIELDS, write=write_row, parents=["client"]):
            return
        if components_change and not self._replace_components(page, wanted, path):
            return
        if is_new or differences or components_change:
            details = [] if is_new else [*differences, *([components_change] if components_change else [])]
            self._record("+" if is_new else "~", "status page", client.key, details)

    def _set_page_values(
        self, page: StatusPage, page_spec: StatusPageSpec, spec: ClientSpec, client: Client
    ) -> list[str]:
        wanted = {
            "slug": page_spec.slug or spec.key,
            "title": page_spec.title if page_spec.title is not None else spec.name,
            "language": page_spec.language or client.language,
            "visibility": page_spec.visibility,
            "logo_url": page_spec.logo_url,
            "favicon_url": page_spec.favicon_url,
            "primary_color": page_spec.primary_color,
            "accent_color": page_spec.accent_color,
            "footer_text": page_spec.footer_text,
            "footer_url": page_spec.footer_url,
            "embed_origins": page_spec.embed_origins,
        }
        differences = assign(page, wanted, STATUS_PAGE_FIELDS)
        domain = page_spec.custom_domain or None
        if page.custom_domain != domain:
            differences.append(describe_change("custom_domain", page.custom_domain, domain))
            page.set_custom_domain(domain)  # a new domain is verified again, with a new token
        # The file holds the password in clear and the database its hash: it is hashed again only
        # when it no longer matches, so applying the same file twice writes nothing.
        if page_spec.password is not None and not page.check_password(page_spec.password):
            page.set_password(page_spec.password)
            differences.append("password changed")
        return differences

    def _replace_components(
        self, page: StatusPage, wanted: list[tuple[Site | None, ComponentSpec]], page_path: Path
    ) -> bool:
        """Show exactly the file's components, in its order; rows of sites still shown are kept."""
        stored = {component.site_id: component for component in StatusComponent.objects.filter(page=page)}
        kept = set()
        for index, (site, spec) in enumerate(wanted):
            if site is None or site.pk is None:
                return False  # the site failed to save: its own problem is already reported
            component = stored.get(site.pk) or StatusComponent(page=page, site=site)
            component.public_name, component.group, component.position = spec.name, spec.group, index
            path = (*page_path, "components", index)
            if not self._save(component, path, COMPONENT_FIELDS, write=True, parents=["page", "site"]):
                return False
            kept.add(site.pk)
        StatusComponent.objects.filter(page=page).exclude(site_id__in=kept).delete()
        return True

    # Notification channels and on-call addresses ------------------------------------------------------

    def _scope(
        self, spec: ScopeSpec | None, plans: dict[str, Plan], clients: dict[str, Client]
    ) -> tuple[Plan | None, Client | None]:
        """The plan and client a scope names (both known: the references were checked)."""
        if spec is None:
            return None, None
        plan = plans[spec.plan] if spec.plan is not None else None
        client = clients[spec.client] if spec.client is not None else None
        return plan, client

    def _apply_channels(self, plans: dict[str, Plan], clients: dict[str, Client]) -> None:
        if self.config.channels is None:
            return  # no channels section: the stored channels are left alone
        stored = {channel.key: channel for channel in NotificationChannel.objects.filter(agency=self.agency)}
        for index, spec in enumerate(self.config.channels):
            self._apply_channel(spec, stored.get(spec.key), plans, clients, ("channels", index))
        for key in sorted(set(stored) - {spec.key for spec in self.config.channels}):
            self._nested_extras.append(_Extra("channel", key, stored[key]))

    def _apply_channel(
        self,
        spec: ChannelSpec,
        channel: NotificationChannel | None,
        plans: dict[str, Plan],
        clients: dict[str, Client],
        path: Path,
    ) -> None:
        is_new = channel is None
        if channel is None:
            channel = NotificationChannel(agency=self.agency, key=spec.key)
        wanted: dict[str, Any] = {
            "name": spec.name,
            "kind": spec.kind,
            "url": spec.url,
            "events": list(spec.events),
            "enabled": spec.enabled,
        }
        if spec.secret is not None:  # left out: the secret made when the channel was created stays
            wanted["secret"] = spec.secret
        differences = assign(channel, wanted, CHANNEL_FIELDS)
        plan, client = self._scope(spec.scope, plans, clients)
        current = describe_scope(channel.plan, channel.client)
        if current != describe_scope(plan, client):
            differences.append(f"scope {current} → {describe_scope(plan, client)}")
            channel.plan, channel.client = plan, client
        parents = [name for name, row in (("plan", plan), ("client", client)) if row is not None]
        self._save_and_record(
            channel, path, CHANNEL_FIELDS, "channel", spec.key, is_new, differences, parents
        )

    def _apply_on_call(self, plans: dict[str, Plan], clients: dict[str, Client]) -> None:
        """On-call addresses are matched by address and scope together: one address may be on
        call for several plans."""
        if self.config.on_call is None:
            return  # no on_call section: the stored addresses are left alone
        stored = {
            _on_call_label(row.email, row.plan, row.client): row
            for row in OnCallAddress.objects.filter(agency=self.agency).select_related("plan", "client")
        }
        wanted = set()
        for index, spec in enumerate(self.config.on_call):
            plan, client = self._scope(spec.scope, plans, clients)
            label = _on_call_label(spec.email, plan, client)
            wanted.add(label)
            self._apply_one_on_call(spec, stored.get(label), plan, client, label, ("on_call", index))
        for label in sorted(set(stored) - wanted):
            self._nested_extras.append(_Extra("on-call address", label, stored[label]))

    def _apply_one_on_call(
        self,
        spec: OnCallSpec,
        address: OnCallAddress | None,
        plan: Plan | None,
        client: Client | None,
        label: str,
        path: Path,
    ) -> None:
        is_new = address is None
        if address is None:
            address = OnCallAddress(agency=self.agency, email=spec.email, plan=plan, client=client)
        differences = assign(address, {"escalation": spec.escalation}, ON_CALL_FIELDS)
        parents = [name for name, row in (("plan", plan), ("client", client)) if row is not None]
        self._save_and_record(
            address, path, ON_CALL_FIELDS, "on-call address", label, is_new, differences, parents
        )

    # What the file no longer has -------------------------------------------------------------------

    def _settle_extras(self, plans: dict[str, Plan]) -> None:
        """Delete (with --prune) or merely list what is stored but absent from the file."""
        client_keys = {spec.key for spec in self.config.clients}
        extra_clients = [
            _Extra("client", client.key, client)
            for client in Client.objects.filter(agency=self.agency)
            .exclude(key__in=client_keys)
            .order_by("key")
        ]
        extra_plans = []
        if self.config.plans is not None:  # without a plans section, plans are left alone
            plan_keys = {spec.key for spec in self.config.plans}
            extra_plans = [_Extra("plan", key, plans[key]) for key in sorted(set(plans) - plan_keys)]
        extras = self._nested_extras + extra_clients + extra_plans
        if not self.prune:
            self.outcome.kept = [f"{extra.kind} {extra.label}" for extra in extras]
            return
        for extra in self._nested_extras + extra_clients:
            self._delete(extra)
        for extra in extra_plans:
            self._delete_plan(extra)

    def _delete(self, extra: _Extra) -> None:
        contents = _contents(extra.instance)
        try:
            extra.instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            # Rows of other features may come to protect what they refer to; say so, don't crash.
            blockers = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            names = ", ".join(sorted({str(row) for row in blockers}))
            message = f"{extra.kind} {extra.label} cannot be pruned: still referred to by {names}"
            self.issues.append(Issue((), message))
            return
        self._record("-", extra.kind, extra.label, [contents] if contents else [])

    def _delete_plan(self, extra: _Extra) -> None:
        users = sorted(Client.objects.filter(plan_id=extra.instance.pk).values_list("key", flat=True))
        if users:
            self.issues.append(
                Issue(
                    ("plans",),
                    f"plan {extra.label!r} cannot be pruned: client(s) {', '.join(users)} still use it; "
                    "move them to another plan first",
                )
            )
            return
        self._delete(extra)


def _on_call_label(email: str, plan: Plan | None, client: Client | None) -> str:
    """An on-call address as change lines name it, e.g. ``nuit@agence.example (plan premium)``."""
    return f"{email} ({describe_scope(plan, client)})"


def _monitor_values(spec: MonitorSpec, site: SiteSpec) -> dict[str, Any]:
    return {
        "url": spec.url or site.url,
        "method": spec.method,
        "request_headers": spec.headers,
        "expected_status": spec.expected_status,
        "keyword": spec.keyword,
        "forbidden_keyword": spec.forbidden_keyword,
        "timeout_seconds": spec.timeout,
        "follow_redirects": spec.follow_redirects,
        "interval_seconds": spec.interval,
        "paused": spec.paused,
    }


def _contents(instance: models.Model) -> str:
    """What a deletion takes with it, e.g. "with 2 sites, 3 monitors"."""
    counts: list[tuple[int, str]] = []
    if isinstance(instance, Client):
        counts = [
            (Site.objects.filter(client=instance).count(), "site"),
            (Monitor.objects.filter(site__client=instance).count(), "monitor"),
            (Contact.objects.filter(client=instance).count(), "contact"),
            (MaintenanceWindow.objects.filter(client=instance).count(), "maintenance window"),
        ]
        counts.append((StatusPage.objects.filter(client=instance).count(), "status page"))
    elif isinstance(instance, Site):
        counts = [(Monitor.objects.filter(site=instance).count(), "monitor")]
    elif isinstance(instance, StatusPage):
        counts = [
            (StatusComponent.objects.filter(page=instance).count(), "component"),
            (Subscription.objects.filter(page=instance).count(), "subscriber"),
        ]
    parts = [f"{count} {noun}{'s' if count > 1 else ''}" for count, noun in counts if count]
    return f"with {', '.join(parts)}" if parts else ""


def _stored_components(page: StatusPage) -> list[tuple[str, str, str]]:
    """(site key, public name, group) of each component, in the page's order."""
    rows = StatusComponent.objects.filter(page=page).select_related("site").order_by("position", "id")
    return [(row.site.key, row.public_name, row.group) for row in rows]


def _components_change(before: list[tuple[str, str, str]], after: list[tuple[str, str, str]]) -> str:
    """What the file changes in a page's components, as one change detail ("" for nothing).

    Only the order counts, not the stored positions: a page whose positions were set elsewhere
    (the API) and that shows its sites in the file's order is unchanged.
    """
    if before == after:
        return ""
    old = {key: (name, group) for key, name, group in before}
    new = {key: (name, group) for key, name, group in after}
    parts = [f"+{key}" for key in new if key not in old] + [f"-{key}" for key in old if key not in new]
    parts += [f"~{key}" for key in new if key in old and old[key] != new[key]]
    if not parts:
        parts = ["reordered"]
    return f"components {' '.join(parts)}"
