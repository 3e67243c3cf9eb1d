from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews and ratings")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import access, signals

        signals.connect()
        user_logged_in.connect(access.remember_dashboard_reader)
