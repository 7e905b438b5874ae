from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "veilleur.certificates"
    label = "certificates"
    verbose_name = "Certificates"
