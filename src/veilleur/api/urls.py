"""The API's URLs: ninja's, each wrapped so that even the answers made around the views (an
unknown path, a method not offered, a body too large) come in the API's JSON error format."""

from django.urls import URLPattern, URLResolver, path, re_path

from veilleur.api.errors import api_not_found, json_errors
from veilleur.api.v1 import api


def _wrapped(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            wrapped.append(
                URLPattern(pattern.pattern, json_errors(pattern.callback), pattern.default_args, pattern.name)
            )
        else:
            wrapped.append(pattern)
    return wrapped


ninja_patterns, ninja_app, ninja_namespace = api.urls
urlpatterns: list[URLPattern | URLResolver] = [
    path("", (_wrapped(ninja_patterns), ninja_app, ninja_namespace)),
    re_path(r"^(?P<rest>.*)$", api_not_found),
]
