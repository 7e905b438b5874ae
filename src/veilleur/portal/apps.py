from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "veilleur.portal"
    label = "portal"
    verbose_name = "Client portal"
