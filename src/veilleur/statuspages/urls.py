"""A status page's own paths, relative to its root ("/s/<slug>/" or "/" on its custom domain).

``routing.StatusPageRouting`` resolves these with the page already found, and calls each view
as ``view(request, page=…, **kwargs)``.
"""

from django.urls import path

from veilleur.statuspages import machine, subscriptions, views

urlpatterns = [
    path("", views.page_view, name="page"),
    path("history/", views.history_view, name="history"),
    path("components/<int:component_id>/", views.component_view, name="component"),
    path("unlock/", views.unlock_view, name="unlock"),
    path("logo", views.logo_view, name="logo"),
    path("api/status.json", machine.status_json, name="status_json"),
    path("feed.rss", machine.feed_rss, name="feed_rss"),
    path("feed.atom", machine.feed_atom, name="feed_atom"),
    path("badge/<str:kind>.svg", machine.badge, name="badge"),
    path("subscribe/", subscriptions.subscribe, name="subscribe"),
    path(
        "subscriptions/confirm/<str:token>/", subscriptions.subscription_confirm, name="subscription_confirm"
    ),
    path("subscriptions/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
]
