from django.urls import path

from .cycles import exemption_views as exemptions
from .cycles import views as cycles
from .meetings import views as meetings
from .publishing import views as publishing
from .ratings import views as decisions
from .remedies import views as remedies
from .reports import views as reports
from .results import views as results
from .review_forms import views as review_forms
from .suggestions import assignment_views as assignments
from .suggestions import views as suggestions

app_name = "reviews"
urlpatterns = [
    # Cycle overview, transitions and the opening job (committee staff).
    path("cycles/", cycles.cycle_list, name="cycle_list"),
    path("cycles/new/", cycles.cycle_create, name="cycle_create"),
    path("cycles/<uuid:public_id>/", cycles.cycle_overview, name="cycle"),
    path(
        "cycles/<uuid:public_id>/move/<str:target>/",
        cycles.cycle_move,
        name="cycle_move",
    ),
    path(
        "cycles/<uuid:public_id>/opening/", cycles.cycle_opening, name="cycle_opening"
    ),
    path(
        "cycles/<uuid:public_id>/exclusions/",
        cycles.cycle_exclusions,
        name="cycle_exclusions",
    ),
    # Work a step closes undone, with the reason (staff; secretaries for forms).
    path(
        "cycles/<uuid:public_id>/exemptions/",
        exemptions.exemptions,
        name="exemptions",
    ),
    path(
        "exemptions/<uuid:public_id>/withdraw/",
        exemptions.exemption_withdraw,
        name="exemption_withdraw",
    ),
    # An organization's checklist (secretaries).
    path(
        "cycles/<uuid:public_id>/organizations/<uuid:organization_id>/",
        cycles.organization_checklist,
        name="checklist",
    ),
    # Review forms (secretaries and members).
    path("forms/<uuid:public_id>/", review_forms.review_form, name="review"),
    path(
        "forms/<uuid:public_id>/return/",
        review_forms.review_return,
        name="review_return",
    ),
    # Suggestions and assignments (BTV and staff).
    path(
        "cycles/<uuid:public_id>/suggestions/",
        suggestions.suggestion_list,
        name="suggestion_list",
    ),
    path(
        "cycles/<uuid:public_id>/suggestions/new/",
        suggestions.suggestion_create,
        name="suggestion_create",
    ),
    path(
        "cycles/<uuid:public_id>/suggestions/bulk/",
        suggestions.suggestion_bulk,
        name="suggestion_bulk",
    ),
    path(
        "suggestions/<uuid:public_id>/",
        suggestions.suggestion_edit,
        name="suggestion_edit",
    ),
    path(
        "cycles/<uuid:public_id>/assignments/",
        assignments.assignment_list,
        name="assignment_list",
    ),
    path("assignments/", assignments.my_assignments, name="my_assignments"),
    # Review meetings (secretaries), keyed by the collective reviewed.
    path("forms/<uuid:public_id>/meeting/", meetings.meeting, name="meeting"),
    path(
        "forms/<uuid:public_id>/meeting/subjects/<int:order>/",
        meetings.meeting_item,
        name="meeting_item",
    ),
    # Appraisal and decision of ratings, per comparison group (staff and BTV).
    path("cycles/<uuid:public_id>/appraise/", decisions.appraise, name="appraise"),
    path("cycles/<uuid:public_id>/decide/", decisions.decide, name="decide"),
    # Publishing, reopening and notices.
    path("cycles/<uuid:public_id>/reopen/", publishing.reopen, name="cycle_reopen"),
    path("notices/", publishing.notice_list, name="notices"),
    # Remedy plans (after the decision, followed during the year).
    path("forms/<uuid:public_id>/remedy/", remedies.remedy_plan, name="remedy_plan"),
    path("remedies/<uuid:public_id>/", remedies.remedy_action, name="remedy_action"),
    path(
        "cycles/<uuid:public_id>/remedies/overdue/",
        remedies.overdue,
        name="remedies_overdue",
    ),
    # Results.
    path(
        "cycles/<uuid:public_id>/results/<uuid:organization_id>/",
        results.organization_results,
        name="organization_results",
    ),
    path(
        "people/<uuid:member_id>/results/",
        results.person_results,
        name="person_results",
    ),
    path("cycles/<uuid:public_id>/flags/", results.flags, name="flags"),
    # Report documents (PDF and ZIP, rendered by a worker).
    path("reports/request/", reports.request_report, name="report_request"),
    path("reports/<uuid:public_id>/", reports.report_job, name="report_job"),
    path(
        "reports/<uuid:public_id>/download/",
        reports.report_download,
        name="report_download",
    ),
]
