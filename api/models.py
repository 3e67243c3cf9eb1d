import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import ImportJob, Organization


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A key another system (or a person) sends to read, and narrowly write,
    one subtree of the register through the API.

    Only a hash of the key is kept; the admin shows the key once, when it is
    issued (api/tokens.py). Each token reads through an account of its own, an
    inactive one that cannot sign in and holds one committee-staff role at the
    token's organization: every query of the API is then scoped by that
    account exactly as the pages scope a staff member of that subtree, and an
    import reaches only that subtree (organizations/resources/).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(
        _("name"),
        max_length=150,
        help_text=_("The system or person the token is issued to."),
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
        help_text=_("The token reads this organization and everything below it."),
    )
    scope = models.CharField(
        _("scope"), max_length=20, choices=Scope.choices, default=Scope.READ
    )
    personal_identifiers = models.BooleanField(
        _("personal identifiers"),
        default=False,
        help_text=_(
            "Also share members' dates of birth, citizen ID numbers, gender and "
            "e-mail addresses."
        ),
    )
    # The first characters of the key, to find the token before comparing hashes.
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="api_token",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    @property
    def writes(self):
        return self.scope == self.Scope.READ_WRITE

    def is_usable(self, now=None):
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ApiAccessLog(models.Model):
    """One request made with a token: who, when, what, and the answer."""

    token = models.ForeignKey(
        ApiToken,
        verbose_name=_("API token"),
        on_delete=models.PROTECT,
        related_name="accesses",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("address"), max_length=500)
    status = models.PositiveSmallIntegerField(_("status"))

    class Meta:
        verbose_name = _("API access")
        verbose_name_plural = _("API accesses")
        indexes = [
            # The admin lists the accesses newest first, often of one token.
            models.Index(fields=["token", "-at"], name="api_access_token_at"),
            models.Index(fields=["-at"], name="api_access_at"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} – {self.status}"


class ApiImport(models.Model):
    """An import sent through the API: its public id and the token that sent it.

    The job itself is the admin's (organizations.ImportJob), run by the same
    task; this row gives it an address that is no integer key.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.ForeignKey(
        ApiToken,
        verbose_name=_("API token"),
        on_delete=models.PROTECT,
        related_name="imports",
    )
    job = models.OneToOneField(
        ImportJob,
        verbose_name=_("import job"),
        on_delete=models.CASCADE,
        related_name="api_import",
    )

    class Meta:
        verbose_name = _("API import")
        verbose_name_plural = _("API imports")

    def __str__(self):
        return str(self.job)
