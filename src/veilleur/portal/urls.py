"""The portal's addresses (all under /portal/) and the agency's client-user actions."""

from django.urls import path

from veilleur.portal import signin, staff, views

urlpatterns = [
    path("portal/", views.overview, name="portal-overview"),
    path("portal/sites/<int:site_id>/", views.site_detail, name="portal-site"),
    path("portal/reports/", views.report_list, name="portal-reports"),
    path("portal/reports/<int:report_id>/", views.report_html, name="portal-report"),
    path("portal/reports/<int:report_id>/pdf", views.report_pdf, name="portal-report-pdf"),
    path("portal/plan/", views.plan, name="portal-plan"),
    path("portal/notifications/", views.notifications, name="portal-notifications"),
    path("portal/sign-in/", signin.sign_in_page, name="portal-sign-in"),
    path("portal/sign-out/", signin.sign_out_view, name="portal-sign-out"),
    path("portal/sign-in/link/", signin.magic_link_request, name="portal-magic-link-request"),
    path("portal/sign-in/magic/", signin.magic_link, name="portal-magic-link"),
    path("portal/password/", signin.password_reset_request, name="portal-password-reset"),
    path("portal/password/new/", signin.password_reset_confirm, name="portal-password-reset-confirm"),
    path("portal/invitation/<str:token>/", signin.invitation, name="portal-invitation"),
    # The agency's side (staff, managers only).
    path("clients/<int:client_id>/portal-users/", staff.client_users_page, name="portal-staff-client-users"),
    path(
        "clients/<int:client_id>/portal-users/<int:user_id>/regenerate",
        staff.regenerate,
        name="portal-staff-regenerate",
    ),
    path(
        "clients/<int:client_id>/portal-users/<int:user_id>/revoke", staff.revoke, name="portal-staff-revoke"
    ),
]
