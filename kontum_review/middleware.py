from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

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
