from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from reviews.dashboard import views as dashboard

from . import views

admin.site.site_header = admin.site.site_title = "Kontum Review"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Lazy: production's static names come from collectstatic's manifest, which
    # a management command (check, migrate) may run without.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"))),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Every user changes their own password; anyone resets it by e-mail.
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Committee staff lift login lockouts (superusers also in the admin).
    path("accounts/locked/", views.locked_accounts, name="locked_accounts"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("organizations/", include("organizations.urls")),
    path("members/", include("members.urls")),
    path("review/", include("reviews.urls")),
    # The API for other systems, with its schema and docs (api/).
    path("api/v1/", include("api.urls")),
    # Leaders' dashboard and the statistics that go up (reviews/statistics/).
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
    # The admin's login page offers the reset when this name exists.
    path(
        "admin/password_reset/",
        RedirectView.as_view(pattern_name="password_reset"),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
]

# 404 and 403 use Django's views with templates/404.html and 403.html; a CSRF
# failure renders 403_csrf.html (CSRF_FAILURE_VIEW).
handler400 = "kontum_review.views.bad_request"
handler500 = "kontum_review.views.server_error"
