from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "veilleur.accounts"
    label = "accounts"
    verbose_name = "Agency and staff"
