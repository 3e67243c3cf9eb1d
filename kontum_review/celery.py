import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")

app = Celery("kontum_review")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery beat (the `beat` service of docker-compose.yml): every minute, send the
# jobs no worker holds, those Redis was down for and those of a lost worker (see
# reviews/background.py). A sweep not run within the minute is dropped, as the
# next one does the same. Installs without beat run `manage.py sweep_jobs` from
# cron instead.
SWEEP_SECONDS = 60
app.conf.beat_schedule = {
    "sweep-jobs": {
        "task": "reviews.tasks.sweep_jobs_task",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS - 5},
    },
}
