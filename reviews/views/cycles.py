from django.http import Http404


def cycle_list(request):
    raise Http404


def cycle_overview(request, public_id):
    raise Http404


def cycle_move(request, public_id, target):
    raise Http404


def cycle_opening(request, public_id):
    raise Http404


def cycle_exclusions(request, public_id):
    raise Http404


def organization_checklist(request, public_id, organization_id):
    raise Http404
