"""Admin for the agency, its staff and API tokens, and the tenancy rules every admin page follows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from veilleur.accounts.models import Agency, AgencyOwned, ApiToken, BusinessCalendar, SetupLink, StaffUser

# Filters on related objects list only the objects present in the (agency-scoped) list, never
# every row of the table: Django's default related filter would show other agencies' names.
RelatedOnly = admin.RelatedOnlyFieldListFilter

admin.site.site_header = "Veilleur"
admin.site.site_title = "Veilleur"
admin.site.index_title = "Administration"


def agency_of(request: HttpRequest) -> Agency:
    user = request.user
    assert isinstance(user, StaffUser), "the admin is for staff users only"
    return user.agency


def shows_credentials(request: HttpRequest) -> bool:
    """Owners and admins, who may change the rows, see the credentials in them (channel URLs and
    secrets, monitors' request headers); members see them masked."""
    user = request.user
    return isinstance(user, StaffUser) and user.manages_agency


def _scope(queryset: QuerySet[Any], agency: Agency) -> QuerySet[Any]:
    model = queryset.model
    if model is Agency:
        return queryset.filter(pk=agency.pk)
    if any(field.name == "agency" for field in model._meta.get_fields()):
        return queryset.filter(agency=agency)
    return queryset


class AgencyScoped:
    """Shows and offers only the signed-in user's agency's rows (another agency's answers 404)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return _scope(super().get_queryset(request), agency_of(request))  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _scope(db_field.remote_field.model.objects.all(), agency_of(request)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _scope(db_field.remote_field.model.objects.all(), agency_of(request)))
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        return _with_agency(form_class, agency_of(request))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Django offers an action to everyone who may see the list unless it names the permission
        # it needs: an action that does not say so is for those who may change the rows.
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        if self.has_change_permission(request):  # type: ignore[attr-defined]
            return actions
        return {
            name: action
            for name, action in actions.items()
            if getattr(action[0], "allowed_permissions", None)
        }

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Django lets the address bar filter a list by any of the model's own fields; counting
        # the rows that match ``secret__startswith=a`` would read a secret one letter at a time.
        # Only the filters the page offers are taken.
        if not super().lookup_allowed(lookup, value, request):  # type: ignore[misc]
            return False
        offered = offered_filters(
            self.get_list_filter(request) if request else self.list_filter,  # type: ignore[attr-defined]
            self.date_hierarchy,  # type: ignore[attr-defined]
        )
        return any(lookup == path or lookup.startswith(f"{path}__") for path in offered)


def offered_filters(list_filter: Any, date_hierarchy: str | None) -> set[str]:
    """The lookup paths a list's own filters use."""
    offered = {date_hierarchy} if date_hierarchy else set()
    for item in list_filter:
        if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
            offered.add(str(item.parameter_name))
        elif isinstance(item, list | tuple):
            offered.add(str(item[0]))
        else:
            offered.add(str(item))
    return offered


def _with_agency(form_class: type[ModelForm[Any]], agency: Agency) -> type[ModelForm[Any]]:
    """A form whose new instance belongs to the agency before validation, so per-agency
    uniqueness and cross-row checks run on the form instead of failing at save time."""

    class AgencyForm(form_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if isinstance(self.instance, AgencyOwned) and not self.instance.agency_id:
                self.instance.agency = agency

    AgencyForm.__name__ = form_class.__name__
    return AgencyForm


class ScopedAdmin(AgencyScoped, admin.ModelAdmin):
    pass


class RecordAdmin(ScopedAdmin):
    """Rows the system writes as evidence (incidents, notifications, public updates): listed and
    read in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedTabularInline(AgencyScoped, admin.TabularInline):
    extra = 0


class ScopedStackedInline(AgencyScoped, admin.StackedInline):
    extra = 0


class CalendarInline(admin.StackedInline):
    model = BusinessCalendar
    can_delete = False
    readonly_fields = ("version",)


@admin.register(Agency)
class AgencyAdmin(ScopedAdmin):
    list_display = ("name", "key", "time_zone", "language")
    fields = (
        "name",
        "key",
        "base_url",
        "sender_email",
        "time_zone",
        "language",
        "country",
        "logo_url",
        "logo_state",
        "primary_color",
        "accent_color",
    )
    readonly_fields = ("key", "logo_state")
    inlines = (CalendarInline,)

    @admin.display(description=_("Logo as stored"))
    def logo_state(self, obj: Agency) -> str:
        from veilleur.clients.logos import logo_state

        return logo_state(obj.logo_url)


@admin.register(StaffUser)
class StaffUserAdmin(ScopedAdmin):
    list_display = ("email", "name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    fields = ("email", "name", "role", "is_active", "last_login", "date_joined")
    readonly_fields = ("last_login", "date_joined")
    actions = ("make_setup_link",)

    def save_model(self, request: HttpRequest, obj: StaffUser, form: Any, change: bool) -> None:
        obj.agency = agency_of(request)
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    # Only an owner may touch an owner's account or make someone an owner: an admin who could
    # would take the owner's place (a setup link sets the account's password).
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and _may_manage(request, obj)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not _is_owner(request):
            kwargs["choices"] = [
                choice for choice in StaffUser.Role.choices if choice[0] != StaffUser.Role.OWNER
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.action(description="Create a one-time link to set the password", permissions=["change"])
    def make_setup_link(self, request: HttpRequest, queryset: QuerySet[StaffUser]) -> None:
        from datetime import timedelta

        hours = settings.VEILLEUR_SETUP_LINK_HOURS
        for user in queryset:
            if not _may_manage(request, user):
                self.message_user(request, f"{user.email}: only an owner may do this.", messages.ERROR)
                continue
            token = SetupLink.issue(user, timedelta(hours=hours))
            link = request.build_absolute_uri(f"/setup/{token}/")
            self.message_user(request, f"{user.email}: {link} (valid {hours} h, works once)", messages.INFO)


def _is_owner(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, StaffUser) and user.role == StaffUser.Role.OWNER


def _may_manage(request: HttpRequest, account: Any) -> bool:
    return not (isinstance(account, StaffUser) and account.role == StaffUser.Role.OWNER) or _is_owner(request)


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if not change:
            obj.agency = agency_of(request)
            clear = obj.new_secret()
            self.message_user(request, f"Token {obj.name}: {clear} — copy it now, it is not shown again.")
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")
