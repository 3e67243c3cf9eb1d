from django.utils.translation import gettext as _


def describe(result, generator, request, public):
    """Give the schema its description, translated when the schema is made."""
    result["info"]["description"] = _(
        "Read the organization tree, members, cycles, results, remedy plans and "
        "statistics of a token's subtree; import registers and record the "
        "progress of remedy actions. Send the token as “Authorization: Bearer "
        "<token>”; committee staff issue tokens in the admin (API tokens)."
    )
    return result
