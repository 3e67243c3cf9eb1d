"""NUL characters (\\x00) stop at the door.

PostgreSQL cannot store or even compare text holding a NUL: a query that
carries one fails with a DataError, a 500. No page puts one in a link, and no
one can type one, so:

- an address or a query string holding a NUL is refused with a 400 that says
  why (a crafted or corrupted link; nothing typed is lost);
- a NUL in posted form fields is dropped: it comes from pasted text, it is
  invisible, and refusing the post would throw away what the person wrote.

Uploaded files are left alone; they are read as files, not as text.
"""

from django.http import HttpResponseBadRequest, QueryDict
from django.utils.translation import gettext as _

NUL = "\x00"


def holds_nul(query):
    return any(
        NUL in key or any(NUL in value for value in values)
        for key, values in query.lists()
    )


def without_nul(query, encoding):
    cleaned = QueryDict(mutable=True, encoding=encoding)
    for key, values in query.lists():
        cleaned.setlist(
            key.replace(NUL, ""), [value.replace(NUL, "") for value in values]
        )
    cleaned._mutable = False
    return cleaned


class NulCharacterMiddleware:
    """Refuse a NUL in the address or query string; drop it from posted fields.

    Placed after the language middleware, so the refusal is in the user's
    language, and before CSRF, so the token is read from the cleaned fields.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or holds_nul(request.GET):
            return HttpResponseBadRequest(
                _(
                    "The address contains an invalid character (NUL, code 0) that "
                    "no page accepts. Check the link, or type the search again."
                ),
                content_type="text/plain; charset=utf-8",
            )
        if request.method == "POST" and holds_nul(request.POST):
            request.POST = without_nul(request.POST, request.encoding)
        return self.get_response(request)
