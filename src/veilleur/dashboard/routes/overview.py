"""The overview at ``/`` and the part of it that refreshes by itself. The incident queue and
pages keep their addresses in the incidents app (``incident-list``, ``incident-detail``)."""

from django.urls import URLPattern, path

from veilleur.dashboard import overview_views

urlpatterns: list[URLPattern] = [
    path("", overview_views.overview, name="home"),
    path("overview/rows", overview_views.overview_rows, name="overview-rows"),
]
