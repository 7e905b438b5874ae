"""Clients, sites and what they hold: their pages, their forms, and the maintenance log."""

from django.urls import URLPattern, path

from veilleur.dashboard import clients_views as views

urlpatterns: list[URLPattern] = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:client_id>/", views.client_detail, name="client-detail"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client-edit"),
    path("clients/<int:object_id>/delete/", views.client_delete, name="client-delete"),
    path("clients/<int:client_id>/contacts/new/", views.contact_create, name="contact-create"),
    path("clients/<int:client_id>/sites/new/", views.site_create, name="site-create"),
    path("clients/<int:client_id>/windows/new/", views.window_create, name="window-create"),
    path("clients/<int:client_id>/status-page/", views.status_page_edit, name="status-page-settings"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:object_id>/delete/", views.contact_delete, name="contact-delete"),
    path("sites/<int:site_id>/", views.site_detail, name="site-detail"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site-edit"),
    path("sites/<int:object_id>/delete/", views.site_delete, name="site-delete"),
    path("sites/<int:site_id>/monitors/new/", views.monitor_create, name="monitor-create"),
    path("monitors/<int:monitor_id>/edit/", views.monitor_edit, name="monitor-edit"),
    path("monitors/<int:object_id>/delete/", views.monitor_delete, name="monitor-delete"),
    path("windows/<int:window_id>/edit/", views.window_edit, name="window-edit"),
    path("windows/<int:object_id>/delete/", views.window_delete, name="window-delete"),
    path("maintenance/", views.maintenance_log, name="maintenance-log"),
    path("maintenance/<int:object_id>/delete/", views.task_delete, name="task-delete"),
]
