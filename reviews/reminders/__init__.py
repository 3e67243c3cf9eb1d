"""Deadlines and reminders: what is due and late (agenda.py) and the daily
reminders, the weekly digest and the returned-form notice that tell people
(sending.py). Celery beat starts the sending through reviews.tasks."""

from .sending import send_digest, send_reminders, tell_returned

__all__ = ["send_digest", "send_reminders", "tell_returned"]
