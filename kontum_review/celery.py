import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")

app = Celery("kontum_review")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery beat's schedule is CELERY_BEAT_SCHEDULE in the settings.
