from django.urls import URLPattern, URLResolver, path

from veilleur.api.v1 import api

urlpatterns: list[URLPattern | URLResolver] = [path("", api.urls)]
