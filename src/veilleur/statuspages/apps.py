from django.apps import AppConfig


class StatusPagesConfig(AppConfig):
    name = "veilleur.statuspages"
    label = "statuspages"
    verbose_name = "Status pages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from veilleur.statuspages import signals  # noqa: F401 - connects the cache invalidation
