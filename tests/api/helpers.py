"""Tokens for the API tests, issued as the admin issues them (api/tokens.py)."""

import datetime

from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.tokens import issue_token


def issue(organization, scope=ApiToken.Scope.READ, *, by=None, **fields):
    """A token and its key; `expired=True` or `revoked=True` spoil it."""
    expired = fields.pop("expired", False)
    revoked = fields.pop("revoked", False)
    now = timezone.now()
    token = ApiToken(
        name=fields.pop("name", f"Hệ thống {organization.code}"),
        organization=organization,
        scope=scope,
        expires_at=now + datetime.timedelta(days=-1 if expired else 30),
        revoked_at=now if revoked else None,
        **fields,
    )
    key = issue_token(token, by)
    return token, key


def client_for(key):
    """A test client that sends the key on every request (None: no header)."""
    if key is None:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")
