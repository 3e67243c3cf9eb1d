"""Third-party apps under Vietnamese names in the admin."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes, whose own app has no translatable name ("Axes")."""

    verbose_name = _("Login lockouts")
