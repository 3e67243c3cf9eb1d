"""The project's own app, and third-party apps under Vietnamese names in the admin."""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes, whose own app has no translatable name ("Axes")."""

    verbose_name = _("Login lockouts")


class ProjectConfig(AppConfig):
    """What the whole project sets up once its apps are loaded."""

    name = "kontum_review"
    verbose_name = "Kontum Review"

    def ready(self):
        from . import lookups

        lookups.register()
