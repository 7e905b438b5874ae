from django.apps import AppConfig


class ThrottlingConfig(AppConfig):
    name = "veilleur.throttling"
    label = "throttling"
    verbose_name = "Brute-force limits"
