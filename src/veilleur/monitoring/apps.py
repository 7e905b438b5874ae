from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "veilleur.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
