from django.http import Http404


def remedy_plan(request, public_id):
    raise Http404


def remedy_action(request, public_id):
    raise Http404


def overdue(request, public_id):
    raise Http404
