from django.http import Http404


def review_form(request, public_id):
    raise Http404


def review_return(request, public_id):
    raise Http404
