"""Organization pickers that search without accents.

A select of several hundred organizations is hard to scroll. These widgets
render a plain select, marked `data-searchable`, whose options carry what
static/js/pickers.js needs to turn it into a search box (Tom Select, from npm,
served by the app): `data-search`, the option's text folded as the member and
organization searches fold it (kontum_review/vietnamese.py), so "quyet thang"
finds "Đảng bộ phường Quyết Thắng" and "dak" finds "Đắk"; and `data-parent`,
the name of the organization above it, so that the many "Chi bộ Thôn 1" of
different communes can be told apart once a search hides the tree. Without
JavaScript the plain select works as before.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from kontum_review.vietnamese import fold


class SearchableMixin:
    # Words for the search box, in the page's language.
    searchable_attrs = {
        "data-searchable": "",
        "data-searchable-empty": _("No organization matches."),
    }

    def __init__(self, attrs=None, choices=()):
        super().__init__({**self.searchable_attrs, **(attrs or {})}, choices)

    def optgroups(self, name, value, attrs=None):
        # The organizations listed so far, by primary key: in a tree in path
        # order a parent comes before its children.
        self.listed = {}
        return super().optgroups(name, value, attrs)

    def create_option(
        self, name, value, label, selected, index, subindex=None, attrs=None
    ):
        option = super().create_option(
            name, value, label, selected, index, subindex, attrs
        )
        option["attrs"].update(self.search_attrs(getattr(value, "instance", None)))
        if "data-search" not in option["attrs"]:
            option["attrs"]["data-search"] = fold(str(label))
        return option

    def search_attrs(self, organization):
        """Its stored search key ("folded name | code") and its listed parent."""
        search_text = getattr(organization, "search_text", None)
        if not search_text:
            return {}
        listed = getattr(self, "listed", {})
        listed[organization.pk] = organization.name
        parent = listed.get(organization.parent_id)
        if parent is None:
            return {"data-search": search_text}
        return {
            "data-search": f"{search_text} | {fold(parent)}",
            "data-parent": parent,
        }


class OrganizationSelect(SearchableMixin, forms.Select):
    pass


class OrganizationSelectMultiple(SearchableMixin, forms.SelectMultiple):
    searchable_attrs = SearchableMixin.searchable_attrs | {
        "data-searchable-remove": _("Remove"),
    }
