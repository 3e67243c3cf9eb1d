from django.urls import path

from .views import docs, imports, register, results
from .views.base import with_etag

app_name = "api"


def read(view_class):
    """A GET view with an ETag (views/base.py)."""
    return with_etag(view_class.as_view())


urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("organizations/", read(register.OrganizationList), name="organizations"),
    path(
        "organizations/<uuid:public_id>/",
        read(register.OrganizationDetail),
        name="organization",
    ),
    path("cycles/", read(register.CycleList), name="cycles"),
    path("cycles/<uuid:public_id>/", read(register.CycleDetail), name="cycle"),
    path(
        "cycles/<uuid:public_id>/organizations/",
        read(register.CycleOrganizationList),
        name="cycle_organizations",
    ),
    path("members/", read(register.MemberList), name="members"),
    path("members/<uuid:public_id>/", read(register.MemberDetail), name="member"),
    path("results/", read(results.ResultList), name="results"),
    path("remedy-plans/", read(results.RemedyPlanList), name="remedy_plans"),
    path(
        "remedy-actions/<uuid:public_id>/",
        read(results.RemedyActionDetail),
        name="remedy_action",
    ),
    path("statistics/", read(results.StatisticsView), name="statistics"),
    path("imports/", imports.ImportCreate.as_view(), name="imports"),
    path("imports/<uuid:public_id>/", read(imports.ImportDetail), name="import"),
]
