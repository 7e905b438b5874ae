"""Who may open a staff page, and the one way a staff page finds an object of its agency.

Every staff view goes through ``staff_view`` (signed-in staff only) or ``manager_view``
(owners and admins: they change the agency's data; members read everything, acknowledge,
post updates and keep the maintenance log). Objects are looked up with ``agency_object``:
another agency's object, or one that does not exist, answers 404 alike (DESIGN §6).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from veilleur.accounts.models import Agency, StaffUser

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


def staff_user(request: HttpRequest) -> StaffUser:
    """The signed-in staff member of a request that went through ``staff_view``."""
    user = request.user
    if not isinstance(user, StaffUser):
        raise Http404
    return user


def staff_agency(request: HttpRequest) -> Agency:
    return staff_user(request).agency


def staff_view(view: View) -> View:
    """Signed-in, active staff only; anyone else is sent to the staff sign-in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (isinstance(user, StaffUser) and user.is_active):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def manager_view(view: View) -> View:
    """Owners and admins only. A member who follows such a link gets 404: the page is not theirs."""

    @staff_view
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not staff_user(request).manages_agency:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def agency_object(queryset: QuerySet[M], agency: Agency, **lookup: Any) -> M:
    """The object of ``queryset`` matching ``lookup`` and owned by ``agency``, else 404."""
    try:
        return queryset.get(agency=agency, **lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
