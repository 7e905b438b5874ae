"""The shape of the config file, checked field by field.

Every model is strict (a number is not text, ``"yes"`` is not a boolean) and refuses unknown
fields, so a typo is reported instead of silently ignored. Values are checked by the same
functions the Django models use (``veilleur.domain.validators`` and the model fields' own
validators), so the file accepts exactly what the database accepts.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.clients.models import (
    REPORT_DAY_MAX,
    REPORT_SEND_AFTER_DAYS_MAX,
    Client,
    Contact,
    MaintenanceWindow,
    Site,
)
from veilleur.configfile.issues import Issue
from veilleur.domain import validators as checks
from veilleur.domain.plans import DEFAULT_DOMAIN_WARNING_DAYS, MAX_DOMAIN_WARNING_DAYS
from veilleur.monitoring.models import Monitor
from veilleur.notifications.models import NotificationChannel, OnCallAddress, all_event_kinds
from veilleur.plans.models import Plan
from veilleur.portal.models import ClientUser
from veilleur.statuspages.models import StatusComponent, StatusPage
from veilleur.validators import english, model_field_check, validate_headers


def model_rules(model: type[models.Model], field_name: str) -> AfterValidator:
    """Run a model field's own validators (length limits, minimum interval, e-mail syntax…)."""
    return AfterValidator(model_field_check(model, field_name))


def model_default(model: type[models.Model], field_name: str) -> Any:
    model_field = model._meta.get_field(field_name)
    assert isinstance(model_field, models.Field)
    return model_field.get_default()


def _optional(check: Callable[[str], str]) -> Callable[[str], str]:
    """An empty string means "not set" (e.g. a client colour falling back to the agency's)."""
    return lambda value: check(value) if value else value


def _none_as_empty_list(value: Any) -> Any:
    # "contacts:" with nothing after it is YAML null; it plainly means "no contacts".
    return [] if value is None else value


def _holiday(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError(f"expected a date YYYY-MM-DD, got the date and time {value.isoformat(' ')}")
    if isinstance(value, date | str):
        return checks.check_holiday(value)
    return value  # left to the strict date check, which names the wrong type


def _local_start(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("give the local wall time without a UTC offset: the client's time zone applies")
        return value
    if isinstance(value, str):
        return checks.parse_local_datetime(value)
    if isinstance(value, date):
        raise ValueError(f"expected 'YYYY-MM-DD HH:MM', got the date {value.isoformat()} without a time")
    return value


def _status_spec(value: Any) -> Any:
    """``[200, "300-399"]``, ``301`` or ``"200-299,301"`` → the text form stored on the monitor."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        parts = [str(item) for item in value if isinstance(item, int | str) and not isinstance(item, bool)]
        if len(parts) != len(value) or not parts:
            raise ValueError("expected a list of status codes and ranges, e.g. [200, '300-399']")
        return ",".join(parts)
    return value


def _hours_range(value: str) -> str:
    return checks.format_hours_range(*checks.parse_hours_range(value))


def _uptime_percent(value: Any) -> Any:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"expected a percentage such as 99.9, got {value!r}") from exc
    return value


def _lifetime_fraction(value: Any) -> Any:
    """A share of a certificate's lifetime, as the decimal it is written as (0.3333, not the
    float nearest to it)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number such as 0.3333, got {value!r}")
    try:
        share = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"expected a number such as 0.3333, got {value!r}") from exc
    if not Decimal("0.01") <= share <= Decimal("0.9"):
        raise ValueError(f"must lie between 0.01 and 0.9 (0.3333 is a third), got {value}")
    if share.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError(f"at most 4 decimal places, got {value}")
    return share


def _baseline_factor(value: Any) -> Any:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"expected a number such as 2 or 1.5, got {value!r}") from exc
    return value


def _email(value: str) -> str:
    return value.strip().lower()


def _headers(value: dict[str, str]) -> dict[str, str]:
    try:
        validate_headers(value)
    except DjangoValidationError as exc:
        raise ValueError(english(exc)) from exc
    return value


Key = Annotated[str, AfterValidator(checks.check_key)]
TimeZone = Annotated[str, AfterValidator(checks.check_time_zone)]
Language = Annotated[str, AfterValidator(checks.check_language)]
Country = Annotated[str, AfterValidator(checks.check_country)]
Colour = Annotated[str, AfterValidator(checks.check_color)]
OptionalColour = Annotated[str, AfterValidator(_optional(checks.check_color))]
OptionalUrl = Annotated[str, AfterValidator(_optional(checks.check_http_url))]
HttpUrlText = Annotated[str, AfterValidator(checks.check_http_url)]
OptionalDomain = Annotated[str, AfterValidator(_optional(checks.check_domain))]
EmbedOrigin = Annotated[str, AfterValidator(checks.check_embed_origin)]
HoursRange = Annotated[str, AfterValidator(_hours_range)]
Holiday = Annotated[date, BeforeValidator(_holiday)]
LocalStart = Annotated[datetime, BeforeValidator(_local_start)]
StatusSpec = Annotated[str, BeforeValidator(_status_spec), AfterValidator(checks.normalise_status_spec)]
RRule = Annotated[str, AfterValidator(_optional(checks.check_rrule))]


UptimePercent = Annotated[Decimal, BeforeValidator(_uptime_percent), Field(ge=0, le=100)]
# Degraded performance: "slow above this many times the usual p95".
BaselineFactor = Annotated[
    Decimal, BeforeValidator(_baseline_factor), Field(ge=Decimal("1.2"), le=Decimal(20), decimal_places=2)
]
# Lists that may be left empty in the file ("contacts:" alone is YAML null: no contacts).
EmptyIfNull = BeforeValidator(_none_as_empty_list)
HoursList = Annotated[list[HoursRange], EmptyIfNull]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AgencyBranding(Strict):
    logo_url: Annotated[OptionalUrl, model_rules(Agency, "logo_url")] = ""
    primary_color: Colour = model_default(Agency, "primary_color")
    accent_color: Colour = model_default(Agency, "accent_color")


class AgencySpec(Strict):
    name: Annotated[str, model_rules(Agency, "name")]
    base_url: Annotated[OptionalUrl, model_rules(Agency, "base_url")] = ""
    sender_email: Annotated[str, AfterValidator(_email), model_rules(Agency, "sender_email")] = ""
    time_zone: TimeZone = model_default(Agency, "time_zone")
    language: Language = model_default(Agency, "language")
    country: Country = model_default(Agency, "country")
    branding: AgencyBranding = Field(default_factory=AgencyBranding)
    # The agency's own address for the client portal; None: kept as stored, "": none.
    portal_domain: OptionalDomain | None = None


class WeeklyHours(Strict):
    mon: HoursList = []
    tue: HoursList = []
    wed: HoursList = []
    thu: HoursList = []
    fri: HoursList = []
    sat: HoursList = []
    sun: HoursList = []

    def as_stored(self) -> dict[str, list[str]]:
        """The calendar's JSON form: only the days that open, in weekday order."""
        return {day: getattr(self, day) for day in checks.WEEKDAYS if getattr(self, day)}


class CalendarSpec(Strict):
    time_zone: Annotated[TimeZone | None, model_rules(BusinessCalendar, "time_zone")] = None
    hours: WeeklyHours
    holidays: Annotated[list[Holiday], EmptyIfNull] = []


class CreditStepSpec(Strict):
    below_percent: Annotated[float, Field(gt=0, le=100)]
    credit_percent: Annotated[int, Field(ge=1, le=100)]


class PlanSpec(Strict):
    key: Key
    name: Annotated[str, model_rules(Plan, "name")]
    check_interval_seconds: Annotated[int, model_rules(Plan, "check_interval_seconds")]
    price_min_eur: Annotated[int, Field(ge=0)] = 0
    price_max_eur: Annotated[int, Field(ge=0)] = 0
    email_alerts: bool = model_default(Plan, "email_alerts")
    monthly_report: bool = model_default(Plan, "monthly_report")
    maintenance_log: bool = model_default(Plan, "maintenance_log")
    status_page: bool = model_default(Plan, "status_page")
    client_portal: bool = model_default(Plan, "client_portal")
    ssl_monitoring: bool = model_default(Plan, "ssl_monitoring")
    performance_monitoring: bool = model_default(Plan, "performance_monitoring")
    quarterly_review: bool = model_default(Plan, "quarterly_review")
    response_target_minutes: Annotated[int, Field(ge=1)]
    response_calendar: Literal["business", "always"]
    uptime_target_percent: UptimePercent | None = None
    service_credits: Annotated[list[CreditStepSpec], EmptyIfNull] = []
    confirmation_checks: Annotated[int, Field(ge=0, le=5)] = model_default(Plan, "confirmation_checks")
    # Certificate monitoring: expiry warnings (docs/certificates.md).
    certificate_warning_days: Annotated[
        list[Annotated[int, Field(strict=True, ge=1, le=365)]], model_rules(Plan, "certificate_warning_days")
    ] = Field(default_factory=lambda: model_default(Plan, "certificate_warning_days"))
    certificate_lifetime_fraction: Annotated[Decimal, BeforeValidator(_lifetime_fraction)] = model_default(
        Plan, "certificate_lifetime_fraction"
    )
    # Domains and CMS versions.
    cms_versions: bool = model_default(Plan, "cms_versions")
    domain_warning_days: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_DOMAIN_WARNING_DAYS)]],
        EmptyIfNull,
        model_rules(Plan, "domain_warning_days"),
    ] = Field(default_factory=lambda: list(DEFAULT_DOMAIN_WARNING_DAYS))
    # Degraded performance
    degraded_above_ms: Annotated[int, model_rules(Plan, "degraded_above_ms")] = model_default(
        Plan, "degraded_above_ms"
    )
    degraded_after_checks: Annotated[int, model_rules(Plan, "degraded_after_checks")] = model_default(
        Plan, "degraded_after_checks"
    )
    degraded_baseline_factor: BaselineFactor = model_default(Plan, "degraded_baseline_factor")


class ClientBranding(Strict):
    logo_url: Annotated[OptionalUrl, model_rules(Client, "logo_url")] = ""
    primary_color: OptionalColour = ""
    accent_color: OptionalColour = ""


# Report mechanics: when a client's reports are generated, their language, automatic sending.
class ClientReports(Strict):
    # Day of the month, the client's time; none: the server's VEILLEUR_REPORT_DAY.
    day: Annotated[int, Field(ge=1, le=REPORT_DAY_MAX)] | None = None
    # None: the client's language.
    language: Language | None = None
    # 0: sent at once; N: a draft for N days, then sent; null: waits until the agency publishes it.
    send_after_days: Annotated[int, Field(ge=0, le=REPORT_SEND_AFTER_DAYS_MAX)] | None = 0


class ContactSpec(Strict):
    email: Annotated[str, AfterValidator(_email), model_rules(Contact, "email")]
    name: Annotated[str, model_rules(Contact, "name")] = ""
    receives_reports: bool = model_default(Contact, "receives_reports")
    receives_incident_notices: bool = model_default(Contact, "receives_incident_notices")
    receives_maintenance_notices: bool = model_default(Contact, "receives_maintenance_notices")


class PortalUserSpec(Strict):
    """Someone invited to the client portal; never a password (they choose it from the invitation)."""

    email: Annotated[str, AfterValidator(_email), model_rules(ClientUser, "email")]
    name: Annotated[str, model_rules(ClientUser, "name")] = ""


class MonitorSpec(Strict):
    key: Key
    url: Annotated[OptionalUrl | None, model_rules(Monitor, "url")] = None
    method: Annotated[str, AfterValidator(checks.check_http_method)] = model_default(Monitor, "method")
    headers: Annotated[dict[str, str], AfterValidator(_headers)] = {}
    expected_status: Annotated[StatusSpec, model_rules(Monitor, "expected_status")] = model_default(
        Monitor, "expected_status"
    )
    keyword: Annotated[str, model_rules(Monitor, "keyword")] = ""
    forbidden_keyword: Annotated[str, model_rules(Monitor, "forbidden_keyword")] = ""
    timeout: Annotated[int, model_rules(Monitor, "timeout_seconds")] = model_default(
        Monitor, "timeout_seconds"
    )
    follow_redirects: bool = model_default(Monitor, "follow_redirects")
    interval: Annotated[int | None, model_rules(Monitor, "interval_seconds")] = None
    paused: bool = False


class SiteSpec(Strict):
    key: Key
    name: Annotated[str, model_rules(Site, "name")]
    url: Annotated[HttpUrlText, model_rules(Site, "url")]
    apdex_threshold_ms: Annotated[int, model_rules(Site, "apdex_threshold_ms")] = model_default(
        Site, "apdex_threshold_ms"
    )
    degraded_above_ms: Annotated[int | None, model_rules(Site, "degraded_above_ms")] = None
    monitors: Annotated[list[MonitorSpec], EmptyIfNull] = []


class WindowSpec(Strict):
    key: Key
    title: Annotated[str, model_rules(MaintenanceWindow, "title")]
    start: LocalStart
    duration_minutes: Annotated[int, model_rules(MaintenanceWindow, "duration_minutes")]
    rrule: Annotated[RRule, model_rules(MaintenanceWindow, "rrule")] = ""
    sites: Annotated[list[Key], EmptyIfNull] = []
    public_note: Annotated[str, model_rules(MaintenanceWindow, "public_note")] = ""


class ComponentSpec(Strict):
    """A site shown on the status page; its place in the list is its place on the page."""

    site: Key
    name: Annotated[str, model_rules(StatusComponent, "public_name")] = ""
    group: Annotated[str, model_rules(StatusComponent, "group")] = ""


MIN_PAGE_PASSWORD_LENGTH = 8


class StatusPageSpec(Strict):
    # Left out: the client's key, name and language.
    slug: Annotated[Key | None, model_rules(StatusPage, "slug")] = None
    title: Annotated[str | None, model_rules(StatusPage, "title")] = None
    language: Language | None = None
    visibility: Literal["public", "password"] = model_default(StatusPage, "visibility")
    # Never exported; left out, the stored password (if any) stays.
    password: Annotated[str, Field(min_length=MIN_PAGE_PASSWORD_LENGTH, max_length=128)] | None = None
    logo_url: Annotated[OptionalUrl, model_rules(StatusPage, "logo_url")] = ""
    favicon_url: Annotated[OptionalUrl, model_rules(StatusPage, "favicon_url")] = ""
    primary_color: OptionalColour = ""
    accent_color: OptionalColour = ""
    footer_text: Annotated[str, model_rules(StatusPage, "footer_text")] = ""
    footer_url: Annotated[OptionalUrl, model_rules(StatusPage, "footer_url")] = ""
    custom_domain: OptionalDomain | None = None
    embed_origins: Annotated[list[EmbedOrigin], EmptyIfNull, AfterValidator(checks.check_embed_origins)] = []
    components: Annotated[list[ComponentSpec], EmptyIfNull] = []


class ClientSpec(Strict):
    key: Key
    name: Annotated[str, model_rules(Client, "name")]
    plan: Key
    language: Language | None = None
    time_zone: TimeZone | None = None
    branding: ClientBranding = Field(default_factory=ClientBranding)
    reports: ClientReports = Field(default_factory=ClientReports)
    contacts: Annotated[list[ContactSpec], EmptyIfNull] = []
    portal_users: Annotated[list[PortalUserSpec], EmptyIfNull] = []
    sites: Annotated[list[SiteSpec], EmptyIfNull] = []
    maintenance_windows: Annotated[list[WindowSpec], EmptyIfNull] = []
    status_page: StatusPageSpec | None = None


EventName = Literal["incident_confirmed", "incident_recovered", "sla_warning", "sla_breach"]


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("an event is listed twice")
    return values


class ScopeSpec(Strict):
    """Who a channel or an on-call address is for: one plan's clients, one client, or (neither,
    or no scope at all) every client."""

    plan: Key | None = None
    client: Key | None = None

    @model_validator(mode="after")
    def _one_at_most(self) -> ScopeSpec:
        if self.plan is not None and self.client is not None:
            raise ValueError("give a plan or a client, not both (leave scope out for every client)")
        return self


class ChannelSpec(Strict):
    key: Key
    name: Annotated[str, model_rules(NotificationChannel, "name")]
    kind: Literal["webhook", "apprise"]
    # Checked against the kind in checks.channel_problems, which sees both fields.
    url: Annotated[str, model_rules(NotificationChannel, "url")]
    secret: Annotated[str, Field(min_length=16, max_length=128)] | None = None
    scope: ScopeSpec | None = None
    events: Annotated[list[EventName], Field(min_length=1), AfterValidator(_distinct)] = Field(
        default_factory=all_event_kinds  # type: ignore[arg-type]
    )
    enabled: bool = True


class OnCallSpec(Strict):
    email: Annotated[str, AfterValidator(_email), model_rules(OnCallAddress, "email")]
    scope: ScopeSpec | None = None
    escalation: bool = model_default(OnCallAddress, "escalation")


class ConfigFile(Strict):
    agency: AgencySpec
    calendar: CalendarSpec | None = None
    plans: list[PlanSpec] | None = None
    clients: Annotated[list[ClientSpec], EmptyIfNull] = []
    channels: list[ChannelSpec] | None = None
    on_call: list[OnCallSpec] | None = None


def validate_config(data: Any) -> tuple[ConfigFile | None, list[Issue]]:
    """The file's data as checked models, or None and every problem found."""
    try:
        return ConfigFile.model_validate(data), []
    except PydanticValidationError as exc:
        return None, [_issue(error) for error in exc.errors(include_url=False)]


def _issue(error: ErrorDetails) -> Issue:
    # Pydantic marks dict-key errors with a "[key]" step that is not part of the file's layout.
    path = tuple(step for step in error["loc"] if step != "[key]")
    return Issue(path, _message(error, path))


_TYPE_NAMES = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "decimal_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of names to values",
    "model_type": "a mapping of names to values",
    "model_attributes_type": "a mapping of names to values",
    "date_type": "a date YYYY-MM-DD",
    "datetime_type": "a local date and time 'YYYY-MM-DD HH:MM'",
}


def _message(error: ErrorDetails, path: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return _unknown_field(str(path[-1]) if path else "")
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in _TYPE_NAMES:
        message = f"expected {_TYPE_NAMES[kind]}, got {describe(error['input'])}"
        if kind == "string_type" and isinstance(error["input"], int | float | bool | date):
            message += " (put the value in quotes to keep it as text)"
        return message
    return error["msg"].replace("Input should be", "must be")


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, _all_field_names(), n=1)
    return f"unknown field {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _all_field_names() -> list[str]:
    specs: tuple[type[Strict], ...] = (
        ConfigFile,
        AgencySpec,
        AgencyBranding,
        CalendarSpec,
        WeeklyHours,
        PlanSpec,
        CreditStepSpec,
        ClientSpec,
        ClientBranding,
        ContactSpec,
        SiteSpec,
        MonitorSpec,
        WindowSpec,
        StatusPageSpec,
        ComponentSpec,
        ScopeSpec,
        ChannelSpec,
        OnCallSpec,
    )
    return sorted({name for spec in specs for name in spec.model_fields})


def describe(value: Any) -> str:
    """A value as the reader wrote it, named by its YAML type."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    if isinstance(value, datetime):
        return f"the date and time {value.isoformat(' ')}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
