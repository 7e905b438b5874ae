from django.urls import path

from veilleur.incidents import ack_link, views

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/acknowledge", views.incident_bulk_acknowledge, name="incident-bulk-ack"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:incident_id>/ack", views.incident_acknowledge, name="incident-ack"),
    path("incidents/<int:incident_id>/updates", views.incident_post_update, name="incident-post-update"),
    path("incidents/<int:incident_id>/notes", views.incident_post_note, name="incident-post-note"),
    path("ack/<str:token>/", ack_link.ack_link, name="ack-link"),
]
