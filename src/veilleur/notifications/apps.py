from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "veilleur.notifications"
    label = "notifications"
    verbose_name = "Notifications"
