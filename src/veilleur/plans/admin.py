from django.contrib import admin

from veilleur.accounts.admin import ScopedAdmin
from veilleur.plans.models import Plan


@admin.register(Plan)
class PlanAdmin(ScopedAdmin):
    list_display = (
        "name",
        "key",
        "check_interval_seconds",
        "response_target_minutes",
        "response_calendar",
        "status_page",
        "client_portal",
        "uptime_target_percent",
    )
    list_filter = ("response_calendar", "status_page", "client_portal", "quarterly_review")
    search_fields = ("name", "key")
    fieldsets = (
        (None, {"fields": ("key", "name", ("price_min_eur", "price_max_eur"))}),
        ("Checks", {"fields": ("check_interval_seconds", "confirmation_checks")}),
        (
            "Deliverables",
            {
                "fields": (
                    "email_alerts",
                    "monthly_report",
                    "maintenance_log",
                    "status_page",
                    "client_portal",
                    "ssl_monitoring",
                    "performance_monitoring",
                    "quarterly_review",
                    # Domains and CMS versions.
                    "cms_versions",
                    "domain_warning_days",
                )
            },
        ),
        (
            "Commitments",
            {
                "fields": (
                    "response_target_minutes",
                    "response_calendar",
                    "uptime_target_percent",
                    "service_credits",
                )
            },
        ),
    )
