"""The agency's own pages: reports, team, settings, plans and the offer sheet."""

from django.urls import URLPattern, path

from veilleur.dashboard import agency_plans, agency_reports, agency_settings, agency_team, report_review

urlpatterns: list[URLPattern] = [
    path("reports/", agency_reports.report_list, name="report-list"),
    path("reports/generate", agency_reports.report_generate, name="report-generate"),
    path("reports/<int:report_id>/", agency_reports.report_detail, name="report-detail"),
    path("reports/<int:report_id>/pdf", agency_reports.report_pdf, name="report-pdf"),
    path("reports/<int:report_id>/regenerate", agency_reports.report_regenerate, name="report-regenerate"),
    path("reports/<int:report_id>/send", agency_reports.report_send, name="report-send"),
    # Report mechanics: review a draft, write the agency's text, publish.
    path("reports/<int:report_id>/review", report_review.report_review, name="report-review"),
    path("reports/<int:report_id>/text", report_review.report_save_text, name="report-text"),
    path("reports/<int:report_id>/publish", report_review.report_publish, name="report-publish"),
    path("reports/<int:report_id>/hold", report_review.report_hold, name="report-hold"),
    path("team/", agency_team.team, name="team"),
    path("team/invite", agency_team.team_invite, name="team-invite"),
    path("team/<int:person_id>/invite-again", agency_team.team_reinvite, name="team-reinvite"),
    path("team/<int:person_id>/role", agency_team.team_role, name="team-role"),
    path("team/<int:person_id>/remove", agency_team.team_remove, name="team-remove"),
    path("settings/", agency_settings.agency_settings, name="agency-settings"),
    path("settings/preview", agency_settings.agency_settings_preview, name="agency-settings-preview"),
    path("plans/", agency_plans.plan_list, name="plan-list"),
    path("plans/new", agency_plans.plan_edit, name="plan-new"),
    path("plans/<int:plan_id>/", agency_plans.plan_edit, name="plan-edit"),
    path("offer/", agency_plans.offer_sheet, name="offer-sheet"),
    path("offer/pdf", agency_plans.offer_sheet_pdf, name="offer-sheet-pdf"),
]
