"""What the API shows of each record: public ids, codes and dates, never a key.

Every related row a serializer reads is fetched by its view's queryset
(`select_related`, `prefetch_related`), so a page costs the same few queries
whatever its length.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from members.models import Member, Post
from organizations.models import ImportJob, Organization
from reviews.models import Rating, RemedyAction, Review, ReviewCycle

from .models import ApiImport


class OrganizationRefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "code", "name"]


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    parent = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True, help_text=_("The parent's id.")
    )
    type = serializers.SlugRelatedField(
        source="org_type",
        slug_field="code",
        read_only=True,
        help_text=_("The code of the organization type."),
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "type",
            "parent",
            "depth",
            "active_from",
            "active_until",
        ]


class CycleOrganizationSerializer(serializers.ModelSerializer):
    """An organization as a cycle reviewed it: the name recorded at its start."""

    review = serializers.UUIDField(source="public_id", read_only=True)
    organization = OrganizationSerializer(read_only=True)
    name_in_cycle = serializers.CharField(
        source="subject_name",
        read_only=True,
        help_text=_("The organization's name as the cycle recorded it."),
    )

    class Meta:
        model = Review
        fields = ["review", "organization", "name_in_cycle", "status"]


class CycleSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    committee = OrganizationRefSerializer(source="superior", read_only=True)
    regime = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReviewCycle
        fields = [
            "id",
            "name",
            "period",
            "year",
            "starts_on",
            "ends_on",
            "status",
            "regime",
            "committee",
            "guidance_issued_on",
            "self_review_due",
            "meetings_due",
            "appraisal_due",
            "decision_due",
            "publication_due",
        ]


class PostSerializer(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["kind", "organization", "started_on", "ended_on"]


class MemberSerializer(serializers.ModelSerializer):
    """The fields a committee may share; personal identifiers are another class."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    posts = PostSerializer(
        source="current_posts",
        many=True,
        read_only=True,
        help_text=_("Posts held today in the leadership of Party organizations."),
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "full_name",
            "card_number",
            "organization",
            "standing",
            "status",
            "status_note",
            "admitted_on",
            "full_member_on",
            "party_post",
            "government_post",
            "mass_post",
            "is_leader",
            "workplace",
            "posts",
        ]


class MemberWithIdentifiersSerializer(MemberSerializer):
    """For a token allowed personal identifiers (ApiToken.personal_identifiers)."""

    class Meta(MemberSerializer.Meta):
        fields = [
            *MemberSerializer.Meta.fields,
            "gender",
            "date_of_birth",
            "citizen_id",
            "email",
        ]


class RatingSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="level.code", read_only=True)
    level_name = serializers.CharField(source="level.name", read_only=True)

    class Meta:
        model = Rating
        fields = ["stage", "level", "level_name", "score", "set_at"]


class OutcomeSerializer(serializers.Serializer):
    level = serializers.CharField(
        source="code", allow_null=True, help_text=_("The level's code.")
    )
    final = serializers.BooleanField(
        help_text=_("Decided by the superior committee; otherwise a proposal.")
    )


class ResultSerializer(serializers.ModelSerializer):
    """A subject's rating in a cycle: where it stands, and the chain behind it.

    `chain` lists the stages rated so far; the decision is left out, and
    `decision_hidden` set, while the token may not see it yet
    (reviews/results/ decisions_shown).
    """

    review = serializers.UUIDField(source="public_id", read_only=True)
    cycle = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    member = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    outcome = OutcomeSerializer(read_only=True)
    chain = serializers.SerializerMethodField()
    decision_hidden = serializers.BooleanField(read_only=True)

    class Meta:
        model = Review
        fields = [
            "review",
            "cycle",
            "kind",
            "subject_name",
            "organization",
            "member",
            "is_leader",
            "status",
            "outcome",
            "chain",
            "decision_hidden",
        ]

    @extend_schema_field(RatingSerializer(many=True))
    def get_chain(self, review):
        ratings = [rating for _stage, rating in review.chain if rating is not None]
        return RatingSerializer(ratings, many=True).data


class RemedyActionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    review = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = RemedyAction
        fields = [
            "id",
            "review",
            "number",
            "shortcoming",
            "content",
            "owner",
            "deadline",
            "status",
            "evidence",
            "closed_on",
            "overdue",
        ]
        read_only_fields = fields


class RemedyProgressSerializer(serializers.Serializer):
    """The progress of an action: its status, and what was done (the evidence).

    Checked by the pages' own form (reviews/remedies/forms.py), so the API
    refuses what the page refuses.
    """

    status = serializers.ChoiceField(
        choices=RemedyAction.Status.choices, required=False
    )
    evidence = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, trim_whitespace=False
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                _("Only the status and the evidence can be changed, not: %(names)s.")
                % {"names": ", ".join(unknown)}
            )
        if not attrs:
            raise serializers.ValidationError(
                _("Send the status, the evidence or both.")
            )
        return attrs


class PlanCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    overdue = serializers.IntegerField()


class RemedyPlanSerializer(serializers.ModelSerializer):
    """A subject's remedy plan: its actions, and how many are open or late."""

    review = serializers.UUIDField(source="public_id", read_only=True)
    cycle = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    member = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    counts = PlanCountsSerializer(read_only=True)
    actions = RemedyActionSerializer(source="plan_actions", many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "review",
            "cycle",
            "kind",
            "subject_name",
            "organization",
            "member",
            "counts",
            "actions",
        ]


class ImportRequestSerializer(serializers.Serializer):
    register = serializers.ChoiceField(
        choices=ImportJob.Register.choices,
        help_text=_("Which register the file fills."),
    )
    file = serializers.FileField(
        help_text=_("An .xlsx workbook or a CSV file, with the admin's columns.")
    )


class ImportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    register = serializers.CharField(source="job.register", read_only=True)
    file_name = serializers.CharField(source="job.file_name", read_only=True)
    status = serializers.CharField(source="job.status", read_only=True)
    progress = serializers.IntegerField(source="job.progress", read_only=True)
    total = serializers.IntegerField(source="job.total", read_only=True)
    totals = serializers.JSONField(
        source="job.totals",
        read_only=True,
        help_text=_("Rows added, updated and unchanged."),
    )
    errors = serializers.JSONField(
        source="job.errors",
        read_only=True,
        help_text=_("The failed rows and their messages."),
    )
    failed_rows = serializers.IntegerField(source="job.failed_rows", read_only=True)
    message = serializers.CharField(source="job.message", read_only=True)
    created_at = serializers.DateTimeField(source="job.created_at", read_only=True)
    finished_at = serializers.DateTimeField(source="job.finished_at", read_only=True)

    class Meta:
        model = ApiImport
        fields = [
            "id",
            "register",
            "file_name",
            "status",
            "progress",
            "total",
            "totals",
            "errors",
            "failed_rows",
            "message",
            "created_at",
            "finished_at",
        ]


class LevelSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LevelCellSerializer(serializers.Serializer):
    level = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.IntegerField(help_text=_("A whole percentage of the row."))


class StatisticsRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    organization = serializers.UUIDField(allow_null=True)
    levels = LevelCellSerializer(many=True)
    undecided = serializers.IntegerField()
    total = serializers.IntegerField()


class StatisticsTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    row_heading = serializers.CharField()
    rows = StatisticsRowSerializer(many=True)
    total = StatisticsRowSerializer(
        allow_null=True,
        help_text=_("The “Total” line of the workbook; none where rows overlap."),
    )


class StatisticsSerializer(serializers.Serializer):
    cycle = CycleSerializer()
    organization = OrganizationRefSerializer()
    type = serializers.CharField(allow_null=True)
    decisions_shown = serializers.BooleanField()
    levels = LevelSerializer(many=True)
    tables = StatisticsTableSerializer(many=True)
