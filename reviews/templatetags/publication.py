"""Published results and unread notices, for the pages of other views."""

from django import template

from .. import publishing

register = template.Library()


@register.inclusion_tag("reviews/_final_result.html")
def final_result(review):
    """The final rating and assessment, once published, or why the subject is
    not rated: `{% final_result review %}`.

    One query when the cycle is published or locked and the review decided
    (two when it is not), none before.
    """
    rating = publishing.final_rating(review)
    exemption = None if rating else publishing.final_exemption(review)
    return {"review": review, "rating": rating, "exemption": exemption}


@register.inclusion_tag("reviews/_notices.html", takes_context=True)
def unread_notices(context, limit=5):
    """The user's newest unread notices: `{% unread_notices %}`; one query, none
    when the request's user was loaded with a count of none (the menu's)."""
    user = context["request"].user
    if not user.is_authenticated or getattr(user, "unread_notices", None) == 0:
        return {"notices": []}
    notices = (
        user.review_notices.filter(read_at__isnull=True)
        .select_related("review")
        .only("user", "text", "link", "created_at", "review__public_id")
        .order_by("-created_at", "-pk")[:limit]
    )
    return {"notices": list(notices)}
