from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "veilleur.lab"
    label = "lab"
    verbose_name = "Lab page metrics"
