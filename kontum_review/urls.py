from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from reviews.views import dashboard

from . import views

admin.site.site_header = admin.site.site_title = "Kontum Review"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"))),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("organizations/", include("organizations.urls")),
    path("members/", include("members.urls")),
    path("review/", include("reviews.urls")),
    # Leaders' dashboard and the statistics that go up (reviews/statistics.py).
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/list/", dashboard.drill_down, name="dashboard_list"),
    path(
        "dashboard/statistics/",
        dashboard.statistics_tables,
        name="dashboard_statistics",
    ),
    path(
        "dashboard/statistics.xlsx",
        dashboard.statistics_download,
        name="dashboard_statistics_xlsx",
    ),
    path("admin/", admin.site.urls),
]
