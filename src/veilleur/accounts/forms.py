"""Forms of the staff sign-in and first-run pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from veilleur.accounts.models import StaffUser
from veilleur.validators import validate_name


class EmailLoginForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses."""

    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True}))

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class PasswordSetupForm(forms.Form):
    """A one-time link's form: the staff member sets their own sign-in details."""

    name = forms.CharField(label=_("Your name"), max_length=200, validators=[validate_name])
    email = forms.EmailField(label=_("Your email"))
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, user: StaffUser, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if StaffUser.objects.filter(email=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError(_("Another account already uses this email address."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            candidate = StaffUser(
                email=data.get("email", ""), name=data.get("name", ""), agency=self.user.agency
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class OwnerSetupForm(PasswordSetupForm):
    """First run: the owner also names the agency. No other link's form has this field."""

    agency_name = forms.CharField(label=_("Agency name"), max_length=200, validators=[validate_name])

    field_order = ("agency_name", "name", "email", "password1", "password2")
