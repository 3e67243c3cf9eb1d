"""Sessions kept in the database as Django keeps them (SESSION_ENGINE), each
request's read made with SQL compiled once per process
(kontum_review/compiled.py): every signed-in request reads its session."""

import functools

from django.contrib.sessions.backends import db
from django.utils import timezone

from .compiled import Compiled


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        try:
            return session_lookup(model).get(
                session_key=self.session_key, now=timezone.now()
            )
        except model.DoesNotExist:
            self._session_key = None
            return None


@functools.cache
def session_lookup(model):
    """An unexpired session by its key, as Django's store reads it."""
    return Compiled(
        lambda *, session_key, now: model.objects.filter(
            session_key=session_key, expire_date__gt=now
        ),
        session_key=model._meta.get_field("session_key"),
        now=model._meta.get_field("expire_date"),
    )
