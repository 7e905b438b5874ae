from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "veilleur.clients"
    label = "clients"
    verbose_name = "Clients"
