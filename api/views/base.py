from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from rest_framework import generics

# An ETag from the body of each GET, and 304 to an If-None-Match that matches:
# a system polling an unchanged resource gets no body back.
with_etag = decorator_from_middleware(ConditionalGetMiddleware)


# Answers vary with the token and are revalidated before reuse. (A comment, not
# a docstring: the schema would show it as every view's description.)
class ApiView(generics.GenericAPIView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Authorization"])
        response.headers.setdefault("Cache-Control", "private, no-cache")
        return response
