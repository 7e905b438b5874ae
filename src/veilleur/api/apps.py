from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "veilleur.api"
    label = "api"
    verbose_name = "REST API"
