from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "veilleur.history"
    label = "history"
    verbose_name = "History"
