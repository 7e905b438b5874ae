from typing import Any

from django.contrib import admin
from django.urls import URLResolver, include, path
from django.urls.resolvers import RoutePattern

from veilleur.operations.views import metrics
from veilleur.statuspages.internal import tls_allowed

# The admin's modules register here, where the web role loads its URLs, rather than at
# django.setup() in every process (settings.py uses SimpleAdminConfig).
admin.autodiscover()


class ImportedOnFirstUse(URLResolver):
    """A resolver of a URL module named, not imported: the module is imported by the first path
    resolved under its prefix or the first name reversed in its namespace, not when the parent
    resolver lists every name it knows (Django walks each child resolver to reverse any URL)."""

    def _populate(self) -> None:
        if "urlconf_module" in self.__dict__:  # imported already
            super()._populate()

    @property
    def reverse_dict(self) -> Any:
        self.url_patterns  # noqa: B018 (imports the module)
        return super().reverse_dict

    @property
    def namespace_dict(self) -> Any:
        self.url_patterns  # noqa: B018
        return super().namespace_dict

    @property
    def app_dict(self) -> Any:
        self.url_patterns  # noqa: B018
        return super().app_dict


# The API (django-ninja, pydantic and the schemas built from them: some 12 MiB) is imported by
# the first request under /api/v1/ (or the first reverse() of one of its names), not when the
# web role starts. Its namespace is the one ninja reverses its own URLs in (api/v1.py).
API_NAMESPACE = "api-v1"
api_urls = ImportedOnFirstUse(
    RoutePattern("api/v1/"), "veilleur.api.urls", app_name="ninja", namespace=API_NAMESPACE
)

urlpatterns = [
    # Asked by the TLS proxy in front (on-demand certificates); see docs/status-pages.md.
    path("internal/tls-allowed", tls_allowed, name="tls_allowed"),
    # For Prometheus, with the bearer token VEILLEUR_METRICS_TOKEN (docs/operations.md).
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    api_urls,
    path("", include("veilleur.dashboard.urls")),
    path("", include("veilleur.portal.urls")),
    path("", include("veilleur.incidents.urls")),
    path("", include("veilleur.accounts.urls")),
]

# A database that went away while middleware used it is a 503 too (unavailable.py).
handler500 = "veilleur.unavailable.server_error"
