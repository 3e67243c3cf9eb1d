"""The tree of Party organizations, their types and kinds, and the roles that
scope every query."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kontum_review.vietnamese import fold

# Each step of the materialized path is the primary key, zero-padded so that a
# prefix match on the path selects exactly one subtree.
PATH_STEP = 9


class OrganizationType(models.Model):
    """Loại hình TCCSĐ: a lookup table staff extend; ratings are compared within it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    # Staff extend and rename the types; the admin shows who changed what.
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("organization type")
        verbose_name_plural = _("organization types")

    def __str__(self):
        return self.name


class OrganizationKind(models.TextChoices):
    SUPERIOR_COMMITTEE = "superior", _("Superior Party committee")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Grassroots Party committee")
    GRASSROOTS_CELL = "grassroots_cell", _("Grassroots Party cell")
    PARTIAL_COMMITTEE = "partial_committee", _("Partial Party committee")
    CELL = "cell", _("Subordinate Party cell")
    PARTY_GROUP = "party_group", _("Party group")


# Which kind may sit directly under which (docs/process.md §2).
ALLOWED_PARENT_KINDS = {
    OrganizationKind.SUPERIOR_COMMITTEE: {None, OrganizationKind.SUPERIOR_COMMITTEE},
    OrganizationKind.GRASSROOTS_COMMITTEE: {OrganizationKind.SUPERIOR_COMMITTEE},
    OrganizationKind.GRASSROOTS_CELL: {OrganizationKind.SUPERIOR_COMMITTEE},
    OrganizationKind.PARTIAL_COMMITTEE: {OrganizationKind.GRASSROOTS_COMMITTEE},
    OrganizationKind.CELL: {
        OrganizationKind.GRASSROOTS_COMMITTEE,
        OrganizationKind.PARTIAL_COMMITTEE,
    },
    OrganizationKind.PARTY_GROUP: {
        OrganizationKind.GRASSROOTS_CELL,
        OrganizationKind.CELL,
    },
}

GRASSROOTS_KINDS = (
    OrganizationKind.GRASSROOTS_COMMITTEE,
    OrganizationKind.GRASSROOTS_CELL,
)


def line_of(prefix=""):
    """The lineage of the organization at `prefix` (e.g. "organization__"): the
    id all its rows share, as an expression."""
    return Coalesce(
        f"{prefix}lineage", f"{prefix}id", output_field=models.BigIntegerField()
    )


def roles_over(user, kinds, path):
    """Exists: a role of the user's, of one of `kinds`, at the organization whose
    path is `path` (an OuterRef) or above it."""
    roles = Role.objects.annotate(
        inner_path=ExpressionWrapper(path, output_field=models.CharField())
    ).filter(user=user, kind__in=kinds, inner_path__startswith=F("organization__path"))
    return Exists(roles.values("pk"))


class OrganizationQuerySet(models.QuerySet):
    def subtree_of(self, organization):
        """The organization and everything below it, in one query."""
        return self.filter(path__startswith=organization.path)

    def descendants_of(self, organization):
        return self.subtree_of(organization).exclude(pk=organization.pk)

    def ancestors_of(self, organization):
        """The chain above the organization, root first, in one query."""
        return self.filter(pk__in=organization.ancestor_ids).order_by("depth")

    def visible_to(self, user):
        """Organizations a user may read: the subtrees of their roles."""
        return self._within_roles(user, TREE_ROLE_KINDS)

    def editable_by(self, user):
        return self._within_roles(user, EDIT_ROLE_KINDS)

    def kept_by(self, user):
        """Organizations a user keeps as committee staff: their staff roles' subtrees.

        The admin changes only these (kontum_review/admin/).
        """
        return self._within_roles(user, (Role.Kind.STAFF,))

    def _within_roles(self, user, kinds):
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(roles_over(user, kinds, OuterRef("path")))

    def search(self, text):
        folded = fold(text)
        return self.filter(search_text__contains=folded) if folded else self

    def active_on(self, day):
        return self.filter(
            Q(active_from__isnull=True) | Q(active_from__lte=day),
            Q(active_until__isnull=True) | Q(active_until__gte=day),
        )

    def current(self):
        """The tree as it stands: not closed, merged away or replaced by a
        restructuring (organizations/restructuring/ keeps the old rows for
        the cycles that reviewed them)."""
        return self.filter(superseded_by__isnull=True)

    def same_line_as(self, organization):
        """Every row of this organization: earlier ones a restructuring
        replaced, and itself."""
        line = organization.line
        return self.filter(Q(pk=line) | Q(lineage=line))

    def in_lineage_of(self, organizations):
        """These organizations and every earlier row of the same lines."""
        lines = organizations.annotate(line=line_of()).values("line")
        return self.filter(Q(pk__in=lines) | Q(lineage__in=lines))


class Organization(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("The committee's own code, for example KT.P01.CB03."),
    )
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    org_type = models.ForeignKey(
        OrganizationType,
        verbose_name=_("organization type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, default="")
    search_text = models.CharField(max_length=300, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    # A restructuring never rewrites a row a cycle has reviewed: an organization
    # moved or renamed continues as a new row, and the old one is kept, marked
    # by the restructuring that superseded it. The rows of one organization
    # share a lineage (the id of its first row; empty on the first row itself),
    # which the multi-year flags follow.
    superseded_by = models.ForeignKey(
        "Restructuring",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="superseded",
    )
    lineage = models.PositiveIntegerField(
        null=True, blank=True, editable=False, db_index=True
    )

    history = HistoricalRecords()
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party organization")
        verbose_name_plural = _("Party organizations")
        indexes = [
            # Subtree reads are prefix matches on the path (LIKE 'path%').
            models.Index(
                fields=["path"],
                name="organization_path_like",
                opclasses=["varchar_pattern_ops"],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_until__gte=F("active_from")),
                name="organization_active_dates_ordered",
                violation_error_message=_(
                    "The end of activity must not be before its start."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_keys()
        old_path = self.path
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else ""
        new_path = f"{parent_path}{self.pk:0{PATH_STEP}d}"
        if new_path != old_path:
            self._move_subtree(old_path, new_path)

    @property
    def name_in_context(self):
        """A cell's name with its parent's, for lists out of the tree: about
        ten wards each have their "Chi bộ Tổ dân phố 1".

        The parent is read only when the query brought it
        (`select_related("…parent")`), so a list never pays a query per row.
        """
        parent = self._state.fields_cache.get("parent")
        return self.named_in_context(
            self.name, self.kind, None if parent is None else parent.name
        )

    @staticmethod
    def named_in_context(name, kind, parent_name):
        """`name_in_context` of a row read as values (name, kind, parent's name)."""
        if kind != OrganizationKind.CELL or not parent_name:
            return name
        return f"{name} – {parent_name}"

    def _move_subtree(self, old_path, new_path):
        type(self).objects.filter(pk=self.pk).update(
            path=new_path, depth=len(new_path) // PATH_STEP - 1
        )
        if old_path:
            # Re-root the descendants in one statement.
            type(self).objects.filter(path__startswith=old_path).exclude(
                pk=self.pk
            ).update(
                path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1)),
                depth=F("depth") + (len(new_path) - len(old_path)) // PATH_STEP,
            )
        self.path = new_path
        self.depth = len(new_path) // PATH_STEP - 1

    def clean(self):
        allowed = ALLOWED_PARENT_KINDS.get(self.kind, set())
        parent_kind = self.parent.kind if self.parent_id else None
        if self.kind and parent_kind not in allowed:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s cannot be placed under %(parent)s.")
                    % {
                        "kind": self.get_kind_display().lower(),
                        "parent": self.parent.get_kind_display().lower()
                        if self.parent_id
                        else _("the top of the tree"),
                    }
                }
            )
        if self.pk and self.parent_id and self.parent.path.startswith(self.path):
            if self.parent_id == self.pk:
                message = _("An organization cannot be placed under itself.")
            else:
                message = _(
                    "An organization cannot be placed under %(below)s, which is "
                    "below it."
                ) % {"below": self.parent.name}
            raise ValidationError({"parent": message})

    @property
    def ancestor_ids(self):
        steps = [
            int(self.path[i : i + PATH_STEP])
            for i in range(0, len(self.path), PATH_STEP)
        ]
        return steps[:-1]

    @property
    def path_and_ancestor_paths(self):
        """The paths of the chain from the root down to this organization."""
        return [
            self.path[:end] for end in range(PATH_STEP, len(self.path) + 1, PATH_STEP)
        ]

    @property
    def is_grassroots(self):
        return self.kind in GRASSROOTS_KINDS

    def refresh_keys(self):
        """Recompute the stored search key; bulk writers call this too."""
        self.search_text = f"{fold(self.name)} | {self.code.lower()}"

    @classmethod
    def path_for(cls, pk, parent_path=""):
        return f"{parent_path}{pk:0{PATH_STEP}d}"

    @property
    def line(self):
        """The id all rows of this organization share (see `lineage`)."""
        return self.lineage or self.pk

    @property
    def is_current(self):
        return self.superseded_by_id is None


class Role(models.Model):
    """A user's role in an organization; every query's scope follows from it."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Committee staff")
        SECRETARY = "secretary", _("Secretary")
        LEADER = "leader", _("Leader")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="party_roles",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="roles",
    )
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "kind"],
                name="role_unique_per_user_organization",
                violation_error_message=_(
                    "This user already holds this role in this organization."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()} – {self.organization}"


# Roles that see a whole subtree, and those that may also change it.
TREE_ROLE_KINDS = (Role.Kind.STAFF, Role.Kind.SECRETARY, Role.Kind.LEADER)
EDIT_ROLE_KINDS = (Role.Kind.STAFF, Role.Kind.SECRETARY)
# Roles that read the dashboard of their subtree (reviews/dashboard/).
DASHBOARD_ROLE_KINDS = (Role.Kind.STAFF, Role.Kind.LEADER)
