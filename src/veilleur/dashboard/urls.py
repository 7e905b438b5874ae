"""The staff app's addresses: the overview and incident queue, clients and sites, and the
agency's own pages (reports, team, settings, offer sheet)."""

from veilleur.dashboard.routes import agency, clients, overview

urlpatterns = [*overview.urlpatterns, *clients.urlpatterns, *agency.urlpatterns]
