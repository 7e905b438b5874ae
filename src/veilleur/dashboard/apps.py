from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff web app: the pages an agency runs its day from (DESIGN §4)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "veilleur.dashboard"
    label = "dashboard"
