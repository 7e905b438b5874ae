"""The API's URLs: ninja's, each wrapped so that even the answers made around the views (an
unknown path, a method not offered, a body too large) come in the API's JSON error format.

veilleur/urls.py mounts this module by name, in the namespace ninja names (``api-v1``), so that
it is imported by the first API request only; its patterns are therefore listed flat here."""

from django.urls import URLPattern, URLResolver, re_path

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


ninja_patterns, app_name, _namespace = api.urls
urlpatterns: list[URLPattern | URLResolver] = [
    *_wrapped(ninja_patterns),
    re_path(r"^(?P<rest>.*)$", api_not_found),
]
