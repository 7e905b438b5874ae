from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "veilleur.cms"
    label = "cms"
    verbose_name = "Software versions"
