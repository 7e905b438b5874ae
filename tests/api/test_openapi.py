"""The OpenAPI document and the interactive docs."""

from __future__ import annotations

import json
from typing import get_args

import pytest
from django.test import Client as HttpClient

from veilleur.api.resources.tasks import Category
from veilleur.clients.models import MaintenanceTask

MONITORING_PATHS = [
    "/monitors/states",
    "/monitors/{id}/state",
    "/monitors/{id}/results",
    "/monitors/{id}/rollups",
    "/incidents",
    "/incidents/{id}",
    "/blips",
]
RESOURCES = ["clients", "sites", "monitors", "contacts", "maintenance-windows", "maintenance-tasks"]


@pytest.mark.django_db
def test_openapi_document_lists_every_path() -> None:
    response = HttpClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["info"] == {**document["info"], "title": "Veilleur API", "version": "1"}
    paths = document["paths"]
    for resource in RESOURCES:
        assert set(paths[f"/api/v1/{resource}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/plans"]) == {"get", "post"}
    assert set(paths["/api/v1/plans/{id}"]) == {"get", "patch"}
    for read_only in MONITORING_PATHS:
        assert set(paths[f"/api/v1{read_only}"]) == {"get"}, read_only
    assert "BearerToken" in document["components"]["securitySchemes"]


@pytest.mark.django_db
def test_interactive_docs_are_served() -> None:
    assert HttpClient().get("/api/v1/docs").status_code == 200


def test_task_categories_match_the_model() -> None:
    assert set(get_args(Category)) == set(MaintenanceTask.Category.values)
