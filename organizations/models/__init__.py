"""The organizations app's models: the tree and roles, imports, and
restructurings; every name is imported from here, as before the split."""

from .imports import ImportJob
from .restructurings import (
    EndedRole,
    Operation,
    Restructuring,
    RestructuringLine,
    Succession,
)
from .tree import (
    ALLOWED_PARENT_KINDS,
    DASHBOARD_ROLE_KINDS,
    EDIT_ROLE_KINDS,
    GRASSROOTS_KINDS,
    PATH_STEP,
    TREE_ROLE_KINDS,
    Organization,
    OrganizationKind,
    OrganizationQuerySet,
    OrganizationType,
    Role,
    line_of,
    roles_over,
)

__all__ = [
    "OrganizationType",
    "OrganizationKind",
    "line_of",
    "roles_over",
    "OrganizationQuerySet",
    "Organization",
    "Role",
    "PATH_STEP",
    "ALLOWED_PARENT_KINDS",
    "GRASSROOTS_KINDS",
    "TREE_ROLE_KINDS",
    "EDIT_ROLE_KINDS",
    "DASHBOARD_ROLE_KINDS",
    "ImportJob",
    "Restructuring",
    "Operation",
    "RestructuringLine",
    "Succession",
    "EndedRole",
]
