from .models import ApiAccessLog
from .tokens import note_use


class AccessLogMiddleware:
    """Log every request made with a token: who, when, what, and the answer.

    A middleware, not the view: the view runs in the request's transaction,
    which a refused request rolls back, log and all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "api_token", None)
        if token is not None:
            note_use(token)
            ApiAccessLog.objects.create(
                token=token,
                method=request.method[:10],
                path=request.get_full_path()[:500],
                status=response.status_code,
            )
        return response
