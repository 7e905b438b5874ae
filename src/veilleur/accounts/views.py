"""Staff sign-in, the first-run setup page and the health check."""

from __future__ import annotations

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from veilleur.accounts.forms import OwnerSetupForm, PasswordSetupForm
from veilleur.accounts.models import SetupLink, StaffUser
from veilleur.unavailable import OUTAGE, RETRY_AFTER_SECONDS


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form and uses nothing up; only a valid POST consumes the link."""
    link = SetupLink.find_valid(token)
    if link is None:
        return render(request, "accounts/setup_invalid.html", status=404)
    user = link.user
    names_agency = is_first_run(user)
    initial = {
        "agency_name": user.agency.name,
        "name": user.name,
        "email": "" if user.email.endswith(".invalid") else user.email,
    }
    form_class = OwnerSetupForm if names_agency else PasswordSetupForm
    form = form_class(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if not link.consume():
                return render(request, "accounts/setup_invalid.html", status=404)
            _save_user(user, form)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    context = {"form": form, "agency": user.agency, "names_agency": names_agency}
    return render(request, "accounts/setup.html", context)


def is_first_run(user: StaffUser) -> bool:
    """The owner's very first link (the one ``veilleur up`` prints): the only one that names the
    agency. Invited staff, and an owner who already had a password, only set their own details."""
    return user.role == StaffUser.Role.OWNER and not user.has_usable_password()


def _save_user(user: StaffUser, form: PasswordSetupForm) -> None:
    data = form.cleaned_data
    if "agency_name" in data:
        user.agency.name = data["agency_name"]
        user.agency.save(update_fields=["name"])
    user.name = data["name"]
    user.email = data["email"]
    user.set_password(data["password1"])
    user.save()


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Readiness for a load balancer or a supervisor: 200 when the database answers, else 503.
    The body is for machines: the same English codes whatever the install's language."""
    try:
        StaffUser.objects.exists()
    except Exception as exc:  # any database failure means "not ready", whatever the driver raises
        OUTAGE.lost(exc)
        response = JsonResponse({"status": "unavailable", "database": "down"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    OUTAGE.back()
    return JsonResponse({"status": "ok", "database": "up"})
