from django.contrib import admin
from django.urls import include, path

from veilleur.operations.views import metrics
from veilleur.statuspages.internal import tls_allowed

# The admin's modules register here, where the web role loads its URLs, rather than at
# django.setup() in every process (settings.py uses SimpleAdminConfig).
admin.autodiscover()

urlpatterns = [
    # Asked by the TLS proxy in front (on-demand certificates); see docs/status-pages.md.
    path("internal/tls-allowed", tls_allowed, name="tls_allowed"),
    # For Prometheus, with the bearer token VEILLEUR_METRICS_TOKEN (docs/operations.md).
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("veilleur.api.urls")),
    path("", include("veilleur.dashboard.urls")),
    path("", include("veilleur.portal.urls")),
    path("", include("veilleur.incidents.urls")),
    path("", include("veilleur.accounts.urls")),
]

# A database that went away while middleware used it is a 503 too (unavailable.py).
handler500 = "veilleur.unavailable.server_error"
