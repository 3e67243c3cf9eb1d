"""The lists a dashboard figure opens (flags, overdue remedies, exemptions),
narrowed as the figure counted them: to one organization's subtree (`org`)
and to one organization type (`type`), a cell under its grassroots
organization's type.
"""

import uuid
from typing import NamedTuple
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import get_object_or_404

from organizations.models import Organization, OrganizationType

from .statistics import of_type


class Narrowed(NamedTuple):
    organizations: object  # the reader's organizations, narrowed
    chosen: Organization | None
    org_type: OrganizationType | None

    def context(self):
        """What the list's notice (_narrowed.html) and its pages' links read."""
        links = narrowing(self.chosen, self.org_type)
        return {
            "chosen": self.chosen,
            "org_type": self.org_type,
            "narrowing": links,
            "query": links["query"],
        }


def narrowed(request, organizations, cycle):
    """The organizations under the one the query string names (`org`), of the
    type it names (`type`), each if any.

    `organizations` is what the reader may see of the cycle's tree. An id that
    is malformed or outside what the reader sees, or an unknown type, is a
    404, as an unknown address is.
    """
    chosen = None
    public_id = request.GET.get("org")
    if public_id:
        try:
            public_id = uuid.UUID(public_id)
        except ValueError:
            raise Http404 from None
        chosen = get_object_or_404(organizations, public_id=public_id)
        organizations = organizations.subtree_of(chosen)
    org_type = None
    code = request.GET.get("type")
    if code:
        org_type = get_object_or_404(OrganizationType, code=code)
        organizations = of_type(organizations, chosen or cycle.superior, org_type)
    return Narrowed(organizations, chosen, org_type)


def narrowing(chosen, org_type):
    """The query strings of a list narrowed by organization and type: as it is,
    without the organization, and without the type."""
    org = {"org": chosen.public_id} if chosen else {}
    kind = {"type": org_type.code} if org_type else {}
    return {
        "query": urlencode(org | kind),
        "without_org": urlencode(kind),
        "without_type": urlencode(org),
    }
