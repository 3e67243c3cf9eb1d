"""Restructuring decisions, their lines, the successions they record and the
roles they ended (applied by organizations/restructuring/)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .tree import Organization, Role


class Restructuring(models.Model):
    """A decision that restructures the tree: its operations, applied at once.

    Entered on a page or read from the decision's annex (a spreadsheet), kept as
    a draft with its preview until staff apply it, then applied in one
    transaction by organizations/restructuring/. Applying never rewrites a row
    a past cycle reviewed (see `Organization.superseded_by`).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPLIED = "applied", _("Applied")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        _("decision number"),
        max_length=100,
        help_text=_("For example Số 123-QĐ/TU."),
    )
    signed_on = models.DateField(_("decision date"))
    issued_by = models.CharField(_("issuing body"), max_length=255)
    effective_on = models.DateField(
        _("effective date"),
        help_text=_(
            "Cycles that started before this day keep the tree as it was; cycles "
            "opened from this day use the new tree."
        ),
    )
    note = models.TextField(_("note"), blank=True)
    committee = models.ForeignKey(
        Organization,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        related_name="restructurings",
        help_text=_("The committee whose staff entered the decision."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-effective_on", "-pk"]
        verbose_name = _("restructuring")
        verbose_name_plural = _("restructurings")

    def __str__(self):
        return self.number

    @property
    def is_applied(self):
        return self.status == self.Status.APPLIED


class Operation(models.TextChoices):
    MERGE = "merge", pgettext_lazy("restructuring", "Merge")
    SPLIT = "split", pgettext_lazy("restructuring", "Split")
    MOVE = "move", pgettext_lazy("restructuring", "Move")
    RENAME = "rename", pgettext_lazy("restructuring", "Rename")
    CLOSE = "close", pgettext_lazy("restructuring", "Close")


class RestructuringLine(models.Model):
    """One line of a restructuring's annex, as entered; read by the planner."""

    restructuring = models.ForeignKey(
        Restructuring,
        verbose_name=_("restructuring"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    number = models.PositiveIntegerField(_("line"))
    operation = models.CharField(_("operation"), max_length=10, choices=Operation)
    code = models.CharField(_("organization code"), max_length=40)
    target_code = models.CharField(_("target code"), max_length=40, blank=True)
    new_name = models.CharField(_("new name"), max_length=255, blank=True)
    new_code = models.CharField(_("new code"), max_length=40, blank=True)
    parent_code = models.CharField(_("parent code"), max_length=40, blank=True)
    member_card = models.CharField(_("Party card number"), max_length=20, blank=True)
    keeps_flags = models.BooleanField(
        _("keeps its multi-year flags"),
        default=False,
        help_text=_(
            "On a merge into a new organization: the new organization continues "
            "this one's years of ratings."
        ),
    )

    class Meta:
        ordering = ["restructuring", "number"]
        verbose_name = _("restructuring line")
        verbose_name_plural = _("restructuring lines")
        constraints = [
            models.UniqueConstraint(
                fields=["restructuring", "number"], name="restructuring_line_once"
            ),
        ]

    def __str__(self):
        return f"{self.number}: {self.get_operation_display()} {self.code}"


class Succession(models.Model):
    """An organization that continues, in part or whole, one that ended."""

    class Kind(models.TextChoices):
        CONTINUED = "continued", _("Continued (moved or renamed)")
        MERGED = "merged", _("Merged into")
        SPLIT = "split", _("Split into")
        CLOSED = "closed", _("Closed; members went to")

    restructuring = models.ForeignKey(
        Restructuring,
        verbose_name=_("restructuring"),
        on_delete=models.CASCADE,
        related_name="successions",
    )
    predecessor = models.ForeignKey(
        Organization,
        verbose_name=_("predecessor"),
        on_delete=models.PROTECT,
        related_name="successions",
    )
    successor = models.ForeignKey(
        Organization,
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        related_name="predecessions",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("succession")
        verbose_name_plural = _("successions")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="succession_once"
            ),
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor}"


class EndedRole(models.Model):
    """A role a restructuring ended with its organization: staff re-assign it."""

    restructuring = models.ForeignKey(
        Restructuring,
        verbose_name=_("restructuring"),
        on_delete=models.CASCADE,
        related_name="ended_roles",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("role"), max_length=20, choices=Role.Kind.choices)

    class Meta:
        ordering = ["restructuring", "organization__path", "kind"]
        verbose_name = _("ended role")
        verbose_name_plural = _("ended roles")

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()} – {self.organization}"
