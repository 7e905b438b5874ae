from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "veilleur.domains"
    label = "domains"
    verbose_name = "Domain registrations"
