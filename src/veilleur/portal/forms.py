"""The portal's forms: sign-in, asking for a link by e-mail, and choosing a password."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from veilleur.clients.models import Contact
from veilleur.portal.models import ClientUser


class SignInForm(forms.Form):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: ClientUser, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, cast(Any, self.user))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class InviteForm(forms.Form):
    """The staff side: who to invite to a client's portal."""

    email = forms.EmailField(label=_("Email"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)

    def __init__(self, *args: Any, client: Any, **kwargs: Any) -> None:
        self.client = client
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if ClientUser.objects.filter(client=self.client, email=email).exists():
            raise forms.ValidationError(_("This person already has a portal login for this client."))
        return email

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        ClientUser._meta.get_field("name").run_validators(name)
        return name


class NotificationsForm(forms.Form):
    """One row per contact of the client: what each of them receives by e-mail."""

    def __init__(self, *args: Any, contacts: list[Contact], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contacts = contacts
        for contact in contacts:
            for field in NOTICE_FIELDS:
                self.fields[f"{field}_{contact.pk}"] = forms.BooleanField(
                    label=NOTICE_LABELS[field], required=False, initial=getattr(contact, field)
                )

    def rows(self) -> list[tuple[Contact, list[forms.BoundField]]]:
        return [
            (contact, [self[f"{field}_{contact.pk}"] for field in NOTICE_FIELDS]) for contact in self.contacts
        ]


# What a contact may choose to receive by e-mail.
NOTICE_LABELS = {
    "receives_incident_notices": _("Incident notices"),
    "receives_reports": _("Reports"),
    "receives_maintenance_notices": _("Maintenance notices"),
}
NOTICE_FIELDS = tuple(NOTICE_LABELS)
