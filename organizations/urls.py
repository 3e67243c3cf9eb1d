from django.urls import path

from . import views

app_name = "organizations"
urlpatterns = [
    path("", views.organization_list, name="list"),
    path("<uuid:public_id>/", views.organization_detail, name="detail"),
    path("restructurings/", views.restructuring_list, name="restructurings"),
    path("restructurings/new/", views.restructuring_edit, name="restructuring_create"),
    path(
        "restructurings/<uuid:public_id>/",
        views.restructuring_detail,
        name="restructuring",
    ),
    path(
        "restructurings/<uuid:public_id>/edit/",
        views.restructuring_edit,
        name="restructuring_edit",
    ),
    path(
        "restructurings/<uuid:public_id>/apply/",
        views.restructuring_apply,
        name="restructuring_apply",
    ),
    path(
        "restructurings/<uuid:public_id>/delete/",
        views.restructuring_delete,
        name="restructuring_delete",
    ),
]
