"""The team page: who works at the agency, in which role; owners and admins invite, change roles
and remove. Members see the team and change nothing (the changes are ``manager_view``s)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from veilleur.accounts.models import SetupLink, StaffUser
from veilleur.dashboard.access import agency_object, manager_view, staff_user, staff_view
from veilleur.dashboard.invitations import queue_invitation, role_label
from veilleur.validators import validate_name

Role = StaffUser.Role


def role_choices() -> list[tuple[str, str]]:
    return [(role, role_label(role)) for role in (Role.MEMBER, Role.ADMIN, Role.OWNER)]


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=200, required=False, validators=[validate_name]
    )
    # Invited people join as a member or an admin; an owner is someone who has joined already.
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=())

    def __init__(self, *args: object, agency_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.agency_id = agency_id
        self.fields["role"].choices = role_choices()[:2]  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        """A new address, or that of someone removed from this agency's team earlier."""
        email = str(self.cleaned_data["email"]).strip().lower()
        taken = StaffUser.objects.filter(email=email)
        if taken.filter(is_active=True).exists() or taken.exclude(agency_id=self.agency_id).exists():
            raise forms.ValidationError(_("This address already has an account."))
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = role_choices()  # type: ignore[attr-defined]


def team_of(agency_id: int) -> list[StaffUser]:
    return list(StaffUser.objects.filter(agency_id=agency_id, is_active=True).order_by("email"))


def _page(request: HttpRequest, invite_form: InviteForm | None = None, status: int = 200) -> HttpResponse:
    me = staff_user(request)
    team = team_of(me.agency_id)
    context = {
        "agency": me.agency,
        "me": me,
        "team": [(person, role_label(person.role), person.has_usable_password()) for person in team],
        "manages": me.manages_agency,
        "is_owner": me.role == Role.OWNER,
        "invite_form": invite_form or InviteForm(agency_id=me.agency_id),
        "role_choices": role_choices(),
    }
    return render(request, "dashboard/agency/team.html", context, status=status)


@require_GET
@staff_view
def team(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@manager_view
def team_invite(request: HttpRequest) -> HttpResponse:
    me = staff_user(request)
    form = InviteForm(request.POST, agency_id=me.agency_id)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    with transaction.atomic():
        person = StaffUser.objects.filter(agency=me.agency, email=data["email"]).first()
        if person is None:  # a new person; someone removed earlier comes back with the same row
            person = StaffUser.objects.create_user(email=data["email"], agency=me.agency, password=None)
        person.name, person.role, person.is_active = data["name"], data["role"], True
        person.set_unusable_password()
        person.save()
        queue_invitation(person, me)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
    return redirect("team")


@require_POST
@manager_view
def team_reinvite(request: HttpRequest, person_id: int) -> HttpResponse:
    me = staff_user(request)
    person = agency_object(StaffUser.objects.filter(is_active=True), me.agency, pk=person_id)
    if person.has_usable_password():
        messages.error(request, _("%(email)s has joined already.") % {"email": person.email})
    else:
        queue_invitation(person, me)
        messages.success(request, _("A new link was sent to %(email)s.") % {"email": person.email})
    return redirect("team")


def role_change_refusal(me: StaffUser, person: StaffUser, new_role: str) -> str | None:
    """Why ``me`` may not give ``person`` the role ``new_role``; None when they may."""
    involves_owner = Role.OWNER in (person.role, new_role)
    if involves_owner and me.role != Role.OWNER:
        return _("Only an owner may make someone an owner or change an owner's role.")
    if new_role == Role.OWNER and not person.has_usable_password():
        return _("%(email)s must join before becoming an owner.") % {"email": person.email}
    if person.role == Role.OWNER and new_role != Role.OWNER and _last_owner(person):
        return _("The agency must keep at least one owner.")
    return None


def _last_owner(person: StaffUser) -> bool:
    others = StaffUser.objects.filter(agency_id=person.agency_id, role=Role.OWNER, is_active=True)
    return not others.exclude(pk=person.pk).exists()


@require_POST
@manager_view
def team_role(request: HttpRequest, person_id: int) -> HttpResponse:
    me = staff_user(request)
    person = agency_object(StaffUser.objects.filter(is_active=True), me.agency, pk=person_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
        return redirect("team")
    new_role = form.cleaned_data["role"]
    with transaction.atomic():
        person = StaffUser.objects.select_for_update().get(pk=person.pk)
        refusal = role_change_refusal(me, person, new_role)
        if refusal is None:
            person.role = new_role
            person.save(update_fields=["role"])
    if refusal:
        messages.error(request, refusal)
    else:
        messages.success(
            request, _("%(email)s is now %(role)s.") % {"email": person.email, "role": role_label(new_role)}
        )
    return redirect("team")


@require_POST
@manager_view
def team_remove(request: HttpRequest, person_id: int) -> HttpResponse:
    """Take someone off the team: they can no longer sign in, and their unused links stop working.
    The row stays (what they did keeps their name); inviting the address again brings it back."""
    me = staff_user(request)
    person = agency_object(StaffUser.objects.filter(is_active=True), me.agency, pk=person_id)
    refusal = None
    if person.pk == me.pk and request.POST.get("confirm_self") != "yes":
        refusal = _("To leave the team yourself, tick the box that confirms it.")
    elif person.role == Role.OWNER and me.role != Role.OWNER:
        refusal = _("Only an owner may remove an owner.")
    with transaction.atomic():
        if refusal is None and person.role == Role.OWNER and _last_owner(person):
            refusal = _("The agency must keep at least one owner.")
        if refusal is None:
            person.is_active = False
            person.set_unusable_password()
            person.save(update_fields=["is_active", "password"])
            SetupLink.objects.filter(user=person, used_at__isnull=True).update(expires_at=timezone.now())
    if refusal:
        messages.error(request, refusal)
        return redirect("team")
    messages.success(request, _("%(email)s was removed from the team.") % {"email": person.email})
    return redirect("login" if person.pk == me.pk else "team")
