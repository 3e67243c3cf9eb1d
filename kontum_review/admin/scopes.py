"""Who reads and keeps what in the admin, and the choices its forms offer."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef, Q
from django.forms import ModelChoiceField, ModelMultipleChoiceField

from organizations.models import Organization, OrganizationKind, Role

from .controls import CheckedFormFields

# Scopes ----------------------------------------------------------------------


def as_paths(value):
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def end_model(model, path):
    for name in filter(None, path.split("__")):
        model = model._meta.get_field(name).related_model
    return model


def reaching(model, paths, allowed):
    """Rows of `model` whose path, any of `paths`, ends in `allowed(end model)`."""
    condition = Q(pk__in=[])
    for path in paths:
        lookup = f"{path}__in" if path else "pk__in"
        condition |= Q(**{lookup: allowed(end_model(model, path)).values("pk")})
    return condition


def readable_by(user):
    """What a user reads of a model: its `visible_to`, as the pages."""
    return lambda model: model._default_manager.visible_to(user)


def kept_by(user):
    def allowed(model):
        if model is not Organization:
            raise TypeError(f"A keeper path must end at an organization, not {model}.")
        return Organization.objects.kept_by(user)

    return allowed


def readable_users(user):
    """Accounts a user sees: people with a role or a member record in what they
    read, accounts tied to nothing yet (never an admin's), and their own."""
    users = get_user_model()._default_manager.all()
    if user.is_superuser:
        return users
    organizations = Organization.objects.visible_to(user).values("pk")
    role_inside = Role.objects.filter(
        user=OuterRef("pk"), organization__in=organizations
    )
    any_role = Role.objects.filter(user=OuterRef("pk"))
    unattached = ~Q(Exists(any_role)) & Q(party_member__isnull=True, is_staff=False)
    return users.filter(
        Q(pk=user.pk)
        | Q(is_superuser=False)
        & (
            Q(Exists(role_inside))
            | Q(party_member__organization__in=organizations)
            | unattached
        )
    )


def manageable_users(user):
    """Accounts a user may change, and give roles or member records to.

    Committee staff manage the accounts of people whose roles and member record
    all lie in the subtrees they keep, accounts tied to nothing yet, and their
    own. Never a superuser's or another admin's (is_staff): granting those is
    the superusers' (the admin's staff status, permissions and groups too).
    """
    users = get_user_model()._default_manager.all()
    if user.is_superuser:
        return users
    kept = Organization.objects.kept_by(user).values("pk")
    role_outside = Role.objects.filter(user=OuterRef("pk")).exclude(
        organization__in=kept
    )
    return users.filter(
        Q(pk=user.pk)
        | Q(is_superuser=False, is_staff=False)
        & ~Q(Exists(role_outside))
        & (Q(party_member__isnull=True) | Q(party_member__organization__in=kept))
    )


def superior_committee_staff(request):
    """Whether the user is staff of a superior Party committee (cached per request)."""
    if not hasattr(request, "_superior_committee_staff"):
        request._superior_committee_staff = Role.objects.filter(
            user=request.user,
            kind=Role.Kind.STAFF,
            organization__kind=OrganizationKind.SUPERIOR_COMMITTEE,
        ).exists()
    return request._superior_committee_staff


# Choices on forms ------------------------------------------------------------


def allowed_choices(request, admin_site, owner, db_field, queryset, read=True):
    """The rows a field of `owner`'s forms may point at (see the module's doc).

    `owner` is the ModelAdmin or inline whose form it is; `read` also narrows the
    choices to what the related model's admin lists.
    """
    user = request.user
    if user.is_superuser:
        return queryset
    related = db_field.related_model
    rests = [
        path.partition("__")[2]
        for path in as_paths(getattr(owner, "keeper", None))
        if path.partition("__")[0] == db_field.name
    ]
    if rests:
        return queryset.filter(reaching(related, rests, kept_by(user)))
    if related is Organization:
        return queryset.filter(pk__in=Organization.objects.kept_by(user).values("pk"))
    if db_field.name in getattr(owner, "account_fields", ()):
        return queryset.filter(pk__in=manageable_users(user).values("pk"))
    related_admin = admin_site._registry.get(related)
    if read and getattr(related_admin, "scopes_rows", False):
        return queryset.filter(pk__in=related_admin.get_queryset(request).values("pk"))
    return queryset


def keep_current_values(form):
    """Let a row keep what it already points at, even where it is not offered."""
    instance = getattr(form, "instance", None)
    if instance is None or instance.pk is None:
        return
    for name, field in form.fields.items():
        if not isinstance(field, ModelChoiceField) or isinstance(
            field, ModelMultipleChoiceField
        ):
            continue
        try:
            model_field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not (model_field.many_to_one or model_field.one_to_one):
            continue
        current = getattr(instance, model_field.attname, None)
        if current is None:
            continue
        manager = field.queryset.model._default_manager
        key = field.to_field_name or "pk"
        field.queryset = field.queryset | manager.filter(**{key: current})


def keeping_current_values(form_class):
    class Form(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            keep_current_values(self)

    Form.__name__ = form_class.__name__
    Form.__qualname__ = form_class.__qualname__
    return Form


class ScopedChoices(CheckedFormFields):
    """Foreign-key choices narrowed by `allowed_choices`, for admins and inlines."""

    keeper = None
    account_fields = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            using = kwargs.get("using")
            queryset = kwargs.get("queryset")
            if queryset is None:
                queryset = self.get_field_queryset(using, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.using(using)
            kwargs["queryset"] = allowed_choices(
                request, self.admin_site, self, db_field, queryset
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def autocomplete_source(request, admin_site):
    """(owner, field) a request of the admin's autocomplete fills, or None."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        field = model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist):
        return None
    owner = admin_site._registry.get(model)
    if owner is None:  # a model edited only inline
        inlines = (
            inline
            for model_admin in admin_site._registry.values()
            for inline in model_admin.inlines
            if inline.model is model
        )
        owner = next(inlines, None)
    return owner, field
