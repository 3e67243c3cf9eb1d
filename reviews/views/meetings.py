from django.http import Http404


def meeting(request, public_id):
    raise Http404


def meeting_item(request, public_id, order):
    raise Http404
