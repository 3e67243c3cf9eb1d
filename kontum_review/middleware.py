import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

# Pages carry no inline script or style; everything is served by the app itself.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
# Three third-party admin templates (django-import-export's export page and
# django-simple-history's history list) carry inline attributes; allow exactly
# those by hash rather than opening 'unsafe-inline'.
ADMIN_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-hashes' "
    "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='; "
    "style-src 'self' 'unsafe-hashes' "
    "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA=' "
    "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs=' "
    "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = ADMIN_POLICY if request.path.startswith("/admin/") else POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class LanguageMiddleware:
    """Vietnamese unless the user chose another language on the site.

    Committee offices run browsers set to English as often as to Vietnamese, so
    the browser's Accept-Language is not a choice the user made; the language
    cookie set by Django's set_language view is.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.available:
            language = settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # Scoped to the request, so nothing leaks to the next one in this thread.
        with translation.override(language):
            response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


# The database cannot be reached (or gave up on the query): try again later.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable(request):
    """The 503 page: standalone, read from no database, no session, no user."""
    language = getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        content = render_to_string("503.html", {"LANGUAGE_CODE": language})
    response = HttpResponse(content, status=503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", POLICY)
    return response


def note_database_down(sender, request=None, **kwargs):
    """Mark the request when a layer below turned a database error into a 500."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_DOWN):
        request.database_down = error


class DatabaseUnavailableMiddleware:
    """During a database outage, answer 503 with a Vietnamese page, not 500.

    A view's error arrives in `process_exception`. One raised in a middleware
    further in (the session, the user) has already become a 500 response by the
    time it gets here; the `got_request_exception` signal marked the request,
    and that 500 is swapped for the 503 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(
            note_database_down, dispatch_uid="kontum_review.database_down"
        )

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, "database_down", None)
        if error is not None and response.status_code >= 500:
            logger.error("Database unavailable: %s", error, exc_info=error)
            return database_unavailable(request)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.error("Database unavailable: %s", exception, exc_info=exception)
        return database_unavailable(request)
