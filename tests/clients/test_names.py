"""Every one-line name a model keeps refuses control characters in forms and the admin (the
model's own validators), with the same words as the API and the config file."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.incidents.models import IncidentUpdate
from veilleur.notifications.models import NotificationChannel
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusComponent, StatusPage
from veilleur.text_fields import NameField, ParagraphField

NAMES = [
    (Agency, "name"),
    (Client, "name"),
    (Site, "name"),
    (Contact, "name"),
    (MaintenanceWindow, "title"),
    (Plan, "name"),
    (NotificationChannel, "name"),
    (StatusPage, "title"),
    (StatusPage, "footer_text"),
    (StatusComponent, "public_name"),
    (StatusComponent, "group"),
    (IncidentUpdate, "posted_by_label"),
]


@pytest.mark.parametrize(("model", "field"), NAMES)
def test_names_refuse_line_breaks_and_controls(model: type[models.Model], field: str) -> None:
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, NameField)
    for bad in ("Shop\r\nBcc: x@example.com", "Shop\n", "Bell\x07"):
        with translation.override("en"), pytest.raises(ValidationError, match="a name is one line of text"):
            model_field.run_validators(bad)
    model_field.run_validators("Boulangerie « Martin »")


@pytest.mark.parametrize(
    ("model", "field"),
    [(MaintenanceWindow, "public_note"), (MaintenanceTask, "description"), (IncidentUpdate, "message")],
)
def test_paragraphs_refuse_controls_but_keep_line_breaks(model: type[models.Model], field: str) -> None:
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, ParagraphField)
    model_field.run_validators("Line one\nLine two\twith a tab")
    with translation.override("en"), pytest.raises(ValidationError, match="control character U\\+001B"):
        model_field.run_validators("\x1b[31mred")


@pytest.mark.django_db
def test_full_clean_names_the_field(agency: Agency) -> None:
    client = Client(agency=agency, key="shop", name="Shop\r\nBcc: x@example.com", plan=Plan.objects.first())
    with pytest.raises(ValidationError) as raised:
        client.full_clean()
    assert list(raised.value.message_dict) == ["name"]
