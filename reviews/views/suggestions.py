from django.http import Http404


def suggestion_list(request, public_id):
    raise Http404


def suggestion_create(request, public_id):
    raise Http404


def suggestion_bulk(request, public_id):
    raise Http404


def suggestion_edit(request, public_id):
    raise Http404


def assignment_list(request, public_id):
    raise Http404


def my_assignments(request):
    raise Http404
