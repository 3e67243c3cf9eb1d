import datetime
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kontum_review.dates import add_years
from kontum_review.vietnamese import fold, sort_key
from organizations.models import Organization

# Điều lệ Đảng, Article 1: a citizen is admitted at eighteen or older.
ADMISSION_AGE = 18
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# The citizen ID card (căn cước) number has twelve digits.
CITIZEN_ID = re.compile(r"\d{12}")


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members in the subtrees of the user's roles, plus the user's own record."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        organizations = Organization.objects.visible_to(user).values("pk")
        return self.filter(Q(organization__in=organizations) | Q(user=user))

    def search(self, text):
        """Accent- and case-insensitive match on name, card number or citizen ID."""
        folded = fold(text)
        if not folded:
            return self
        return self.filter(search_text__contains=folded)

    def in_name_order(self):
        return self.order_by("sort_key", "card_number")

    def reviewable(self):
        return self.filter(status=Member.Status.ACTIVE)


class Member(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Standing(models.TextChoices):
        PROBATIONARY = "probationary", _("Probationary member")
        FULL = "full", _("Full member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXEMPT = "exempt", _("Exempt from work and activities")
        TRANSFERRED = "transferred", _("Transferred out")
        DECEASED = "deceased", _("Deceased")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=150)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    date_of_birth = models.DateField(_("date of birth"))
    card_number = models.CharField(
        _("Party card number"),
        max_length=20,
        unique=True,
        error_messages={
            "unique": _("A Party member with this card number already exists.")
        },
    )
    citizen_id = models.CharField(
        _("citizen ID number"), max_length=12, blank=True, default=""
    )
    admitted_on = models.DateField(_("date admitted to the Party"))
    full_member_on = models.DateField(
        _("date made a full member"), null=True, blank=True
    )
    standing = models.CharField(
        _("membership"),
        max_length=20,
        choices=Standing.choices,
        default=Standing.PROBATIONARY,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    status_note = models.CharField(
        _("status note"),
        max_length=255,
        blank=True,
        help_text=_("Reason and decision for an exemption, transfer or death."),
    )
    # Looked up through member_cell_name_order (organization, sort_key), whose
    # first column serves every query by cell: a second index of the foreign
    # key alone would only cost every write.
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("Party cell"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
    )
    party_post = models.CharField(_("Party post"), max_length=200, blank=True)
    government_post = models.CharField(_("government post"), max_length=200, blank=True)
    mass_post = models.CharField(
        _("mass-organization post"), max_length=200, blank=True
    )
    is_leader = models.BooleanField(
        _("leader or manager"),
        default=False,
        help_text=_("Holds a leadership post: uses the leader's review form."),
    )
    workplace = models.CharField(_("workplace"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
    )
    sort_key = models.CharField(max_length=255, editable=False, default="")
    search_text = models.CharField(max_length=255, editable=False, default="")

    history = HistoricalRecords(excluded_fields=["sort_key", "search_text"])
    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        indexes = [
            # Member lists are shown per cell in Vietnamese name order.
            models.Index(
                fields=["organization", "sort_key"], name="member_cell_name_order"
            ),
            models.Index(fields=["sort_key"], name="member_name_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen_id"],
                condition=~Q(citizen_id=""),
                name="member_citizen_id_unique_when_present",
                violation_error_message=_(
                    "A Party member with this citizen ID number already exists."
                ),
            ),
            models.CheckConstraint(
                condition=Q(standing="probationary") | Q(full_member_on__isnull=False),
                name="member_full_has_date",
                violation_error_message=_(
                    "A full member needs the date they were made a full member."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.card_number})"

    def save(self, *args, **kwargs):
        self.refresh_keys()
        super().save(*args, **kwargs)

    def clean(self):
        """The register's dates in their order, and a twelve-digit citizen ID.

        Read by the admin's form and by every import, row by row; a field that
        failed its own check is None here and is not checked again.
        """
        super().clean()
        errors = {}
        today = timezone.localdate()
        born, admitted, full = self.date_of_birth, self.admitted_on, self.full_member_on
        for name, day in (
            ("date_of_birth", born),
            ("admitted_on", admitted),
            ("full_member_on", full),
        ):
            if day is not None and day > today:
                errors[name] = gettext("This date is after today.")
        if born is not None and born < EARLIEST_BIRTH and "date_of_birth" not in errors:
            errors["date_of_birth"] = gettext("The date of birth is before 1900.")
        if born is not None and admitted is not None and "admitted_on" not in errors:
            adult = add_years(born, ADMISSION_AGE)
            if admitted < adult:
                errors["admitted_on"] = gettext(
                    "A member is admitted at %(age)d or older: this date is before "
                    "their %(age)dth birthday (%(day)s)."
                ) % {"age": ADMISSION_AGE, "day": date_format(adult, "d/m/Y")}
        if full is not None and "full_member_on" not in errors:
            if self.standing == self.Standing.PROBATIONARY:
                errors["full_member_on"] = gettext(
                    "A probationary member has no date made a full member: clear "
                    "it, or choose full membership."
                )
            elif admitted is not None and full <= admitted:
                errors["full_member_on"] = gettext(
                    "The date made a full member comes after the date admitted."
                )
        if self.citizen_id and not CITIZEN_ID.fullmatch(self.citizen_id):
            errors["citizen_id"] = gettext("A citizen ID number has twelve digits.")
        if errors:
            raise ValidationError(errors)

    def refresh_keys(self):
        """Recompute the stored sort and search keys; bulk writers call this too."""
        self.full_name = " ".join(self.full_name.split())
        self.sort_key = sort_key(self.full_name)
        self.search_text = " | ".join(
            part
            for part in (
                fold(self.full_name),
                self.card_number.lower(),
                self.citizen_id,
            )
            if part
        )

    @property
    def is_reviewable(self):
        return self.status == self.Status.ACTIVE


class PostQuerySet(models.QuerySet):
    def held_on(self, day):
        """Posts held on `day`: started by then (or undated) and not yet ended."""
        return self.filter(
            Q(started_on__isnull=True) | Q(started_on__lte=day),
            Q(ended_on__isnull=True) | Q(ended_on__gte=day),
        )


class PostKind(models.TextChoices):
    """Posts of a Party organization's leadership, the head's first."""

    SECRETARY = "secretary", _("Secretary")
    DEPUTY = "deputy_secretary", _("Deputy secretary")
    STANDING = "standing_member", _("Standing committee member")
    COMMITTEE = "committee_member", _("Committee member")


# The head of an organization holds its secretary post (người đứng đầu); those
# who lead it, for the leader's-unit rule, hold its secretary or deputy posts.
# Every post belongs to the organization's leadership (docs/process.md §6.4).
HEAD_POST = PostKind.SECRETARY
LEADING_POSTS = (PostKind.SECRETARY, PostKind.DEPUTY)


class Post(models.Model):
    """A member's post in the leadership of one Party organization (chức vụ Đảng).

    The rules read who heads and who leads an organization from these rows, not
    from the free text of `Member.party_post`; opening a cycle copies the posts
    held that day, so later changes never rewrite a past year.
    """

    member = models.ForeignKey(
        Member,
        verbose_name=_("Party member"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="posts",
        help_text=_("The organization whose leadership the post belongs to."),
    )
    kind = models.CharField(_("post"), max_length=20, choices=PostKind.choices)
    started_on = models.DateField(_("held from"), null=True, blank=True)
    ended_on = models.DateField(_("held until"), null=True, blank=True)

    history = HistoricalRecords()
    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["organization__path", "kind"]
        verbose_name = _("Party post")
        verbose_name_plural = _("Party posts")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(kind="secretary", ended_on__isnull=True),
                name="post_one_current_secretary",
                violation_error_message=_(
                    "This organization already has a secretary; end the current "
                    "secretary's post first."
                ),
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="post_ends_after_start",
                violation_error_message=_("A post cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.organization}: {self.member}"
