from django.http import Http404


def appraise(request, public_id):
    raise Http404


def decide(request, public_id):
    raise Http404
