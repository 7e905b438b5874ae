"""Admin for status pages (with the sites they show), their subscribers and public incident updates.

Everything is scoped to the signed-in agency like the other admins. A page's password is a
write-only field that is hashed on save; a new custom domain goes through
``StatusPage.set_custom_domain``, so it must be verified again, with a new token.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from veilleur.accounts.admin import RelatedOnly, ScopedAdmin, ScopedTabularInline, agency_of
from veilleur.clients.logos import logo_state
from veilleur.clients.models import Site
from veilleur.domain.validators import check_embed_origins
from veilleur.statuspages.domains import verify_domain
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription
from veilleur.validators import refusal

MIN_PASSWORD_LENGTH = 8


class EmbedOriginsField(forms.Field):
    """The origins allowed to frame a page, typed one per line (or separated by spaces or
    commas), stored as a list; each is checked with the same words as in the API and the
    config file."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60, "spellcheck": "false", "autocapitalize": "none"})

    def __init__(self, *, encoder: Any = None, decoder: Any = None, **kwargs: Any) -> None:
        # Given by the model's JSONField, whose JSON text this field replaces with plain lines.
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(origin) for origin in value)
        return "" if value is None else str(value)

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        text = str(value or "")
        return [part for part in text.replace(",", " ").split() if part]

    def validate(self, value: Any) -> None:
        super().validate(value)
        try:
            check_embed_origins(value)
        except ValueError as exc:
            raise refusal(exc) from exc

    def clean(self, value: Any) -> list[str]:
        origins = super().clean(value)
        return check_embed_origins(origins)


class StatusPageForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = StatusPage
        fields = ("client", *StatusPage.SETTINGS)
        field_classes = {"embed_origins": EmbedOriginsField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The domain as stored, to tell a change (which resets verification) from a re-save.
        self._stored_domain = self.instance.custom_domain
        if "custom_domain" in self.fields:  # a read-only form (a member's) has none
            self.fields["custom_domain"].help_text = _(
                "e.g. status.example.com; served once verified by the page's TXT record."
            )
        if "embed_origins" in self.fields:
            self.fields["embed_origins"].required = False
            self.fields["embed_origins"].label = _("Sites allowed to embed the page")
            self.fields["embed_origins"].help_text = _(
                "One https origin per line, e.g. https://www.example.com (no path, no wildcard): their "
                "pages may show this page, its history and subscription pages in a frame. Empty: no site may."
            )
        self.fields["password"].help_text = (
            _("A password is set: leave empty to keep it.")
            if self.instance.password_hash
            else _("Needed for a password-protected page: at least %(count)s characters.")
            % {"count": MIN_PASSWORD_LENGTH}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client = data.get("client")
        if client is not None and client.pk != self.instance.client_id and not client.plan.status_page:
            self.add_error(
                "client",
                gettext("The plan %(plan)s does not include a status page.") % {"plan": client.plan.name},
            )
        password = data.get("password")
        if password:
            # Hashed now, so that the model's own check (a protected page needs a password) sees it.
            self.instance.set_password(password)
        return data

    def save(self, commit: bool = True) -> StatusPage:
        # Validation ran with the form's domain on the instance; it is stored through the model's
        # rule: a domain that really changed gets a new token and must be verified again.
        wanted = self.instance.custom_domain
        self.instance.custom_domain = self._stored_domain
        self.instance.set_custom_domain(wanted)
        page: StatusPage = super().save(commit)
        return page


class ComponentFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        client_id = self.instance.client_id
        for form in self.forms:
            site = getattr(form, "cleaned_data", {}).get("site")
            if site is None or form.cleaned_data.get("DELETE") or client_id is None:
                continue
            if site.client_id != client_id:
                form.add_error("site", gettext("This site belongs to another client."))


class StatusComponentInline(ScopedTabularInline):
    model = StatusComponent
    formset = ComponentFormSet
    fields = ("site", "public_name", "group", "position")
    verbose_name = _("site shown")
    verbose_name_plural = _("sites shown (in position order)")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # Inline instances are made afresh for each request: remembering the page here is safe.
        self._page = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            sites = Site.objects.filter(agency=agency_of(request)).select_related("client")
            page = getattr(self, "_page", None)
            if page is not None:
                sites = sites.filter(client_id=page.client_id)
            kwargs["queryset"] = sites.order_by("client__name", "name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(StatusPage)
class StatusPageAdmin(ScopedAdmin):
    form = StatusPageForm
    list_display = ("title", "client", "slug", "visibility", "custom_domain", "domain_verified_at")
    list_filter = ("visibility", ("client__plan", RelatedOnly))
    search_fields = ("title", "slug", "custom_domain", "client__name")
    list_select_related = ("client",)
    readonly_fields = ("domain_token", "domain_verified_at", "logo_state")
    fieldsets = (
        (None, {"fields": ("client", "slug", "title", "language")}),
        (_("Access"), {"fields": ("visibility", "password", "embed_origins")}),
        (
            _("Branding (empty: the client's)"),
            {
                "fields": (
                    "logo_url",
                    "logo_state",
                    "favicon_url",
                    "primary_color",
                    "accent_color",
                    "footer_text",
                    "footer_url",
                )
            },
        ),
        (
            _("Custom domain"),
            {
                "fields": ("custom_domain", "domain_token", "domain_verified_at"),
                "description": _(
                    "The client proves the domain belongs to this page with a TXT record "
                    "veilleur-verify=<token> at _veilleur.<domain>; a CNAME to this install's status host "
                    "only sends the visitors here. A new domain gets a new token and must be verified again."
                ),
            },
        ),
    )
    inlines = (StatusComponentInline,)

    @admin.display(description=_("Logo as stored"))
    def logo_state(self, obj: StatusPage) -> str:
        return logo_state(obj.logo_url or obj.client.logo_url) if obj.pk else ""

    actions = ("verify_domains",)

    @admin.action(description=_("Verify the custom domain now"), permissions=["change"])
    def verify_domains(self, request: HttpRequest, queryset: QuerySet[StatusPage]) -> None:
        for page in queryset.exclude(custom_domain=None).exclude(custom_domain=""):
            check = verify_domain(page)
            self.message_user(
                request,
                check.message,
                messages.SUCCESS if check.ok else messages.WARNING,
            )


@admin.register(Subscription)
class SubscriptionAdmin(ScopedAdmin):
    """Subscribers sign up on the page themselves (double opt-in): the admin lists them, and may
    remove one who asks; it never shows their secret link token."""

    list_display = ("email", "page", "created_at", "confirmed_at", "unsubscribed_at")
    list_filter = (("page", RelatedOnly), ("confirmed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "page__title")
    list_select_related = ("page",)
    fields = ("email", "page", "created_at", "confirmed_at", "unsubscribed_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
