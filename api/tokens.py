"""Issuing and checking API keys.

A key reads "kr_<prefix>_<secret>": the prefix finds the token row, the SHA-256
of the whole key must match the stored hash. The secret carries 256 random
bits, so a fast hash is as safe as a slow one and costs nothing per request.
"""

import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from organizations.models import Role

from .models import ApiToken

KEY_PREFIX = "kr"
PREFIX_BYTES = 6
SECRET_BYTES = 32
# last_used_at is written at most this often per token: one write a minute,
# not one per request.
LAST_USED_SECONDS = 60


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key):
    """The prefix of a well-formed key, or None."""
    parts = key.split("_", 2)  # the secret may hold "_" itself
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


@transaction.atomic
def issue_token(token, created_by):
    """Save a new token with its account and role; return the key, shown once.

    `token` is unsaved, with its name, organization, scope, flag and expiry.
    """
    prefix = secrets.token_hex(PREFIX_BYTES)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    account = get_user_model()(
        username=f"api-{prefix}", first_name=token.name[:150], is_active=False
    )
    account.set_unusable_password()
    account.save()
    Role.objects.create(
        user=account, organization=token.organization, kind=Role.Kind.STAFF
    )
    token.prefix, token.key_hash = prefix, hash_key(key)
    token.account, token.created_by = account, created_by
    token.save()
    return key


def find_token(key, now=None):
    """The usable token of `key`, with its account and organization, or None."""
    prefix = split_key(key)
    if prefix is None:
        return None
    now = now or timezone.now()
    token = (
        ApiToken.objects.usable(now)
        .select_related("account", "organization")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, hash_key(key)):
        return None
    return token


def note_use(token, now=None):
    """Record when the token was last used, at most once a minute."""
    now = now or timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke(tokens, now=None):
    """Revoke the tokens not yet revoked; return how many."""
    return tokens.filter(revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
