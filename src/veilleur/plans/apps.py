from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "veilleur.plans"
    label = "plans"
    verbose_name = "Plans"
