from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "veilleur.incidents"
    label = "incidents"
    verbose_name = "Incidents"
