"""What every resource does the same way: find a row of the agency, check references, save."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Model, QuerySet

from veilleur.accounts.models import Agency
from veilleur.api.errors import api_error_from_django, field_error, not_found

ModelT = TypeVar("ModelT", bound=Model)


def get_or_404(queryset: QuerySet[ModelT], object_id: int, kind: str) -> ModelT:
    """A row of an agency-scoped queryset; 404 also for rows of other agencies, which stay unseen."""
    row = queryset.filter(pk=object_id).first()
    if row is None:
        raise not_found(kind, object_id)
    return row


def referenced(model: type[ModelT], agency: Agency, object_id: int, field: str, kind: str) -> ModelT:
    """A row named by id in a request body; a field error when it is not one of the agency's."""
    row = model._default_manager.filter(agency=agency, pk=object_id).first()
    if row is None:
        raise field_error(field, f"there is no {kind} with id {object_id}")
    return row


def take_reference(
    changes: dict[str, Any], field: str, model: type[ModelT], agency: Agency, kind: str
) -> ModelT | None:
    """Pop ``field`` (an id) out of ``changes`` and return the agency's row it names, if sent."""
    object_id = changes.pop(field, None)
    return None if object_id is None else referenced(model, agency, object_id, field, kind)


def take_required_reference(
    changes: dict[str, Any], field: str, model: type[ModelT], agency: Agency, kind: str
) -> ModelT:
    found = take_reference(changes, field, model, agency, kind)
    if found is None:
        raise field_error(field, "this field is required")
    return found


def refuse_nulls(changes: Mapping[str, Any], nullable: Iterable[str] = ()) -> None:
    """PATCH bodies may omit a field but not send null for one that cannot be empty."""
    allowed = set(nullable)
    for name, value in changes.items():
        if value is None and name not in allowed:
            raise field_error(name, "this field may not be null")


def assign(instance: Model, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)


def save_validated(instance: ModelT, after_save: Callable[[ModelT], None] | None = None) -> ModelT:
    """Run the model's own validation, then save (and what goes with it) all or nothing."""
    try:
        instance.full_clean()
    except DjangoValidationError as exc:
        raise api_error_from_django(exc) from exc
    # A duplicate inserted by a concurrent request between the check and the save raises
    # IntegrityError here; the API's handler answers 409 and the transaction leaves nothing behind.
    with transaction.atomic():
        instance.save()
        if after_save is not None:
            after_save(instance)
    return instance
