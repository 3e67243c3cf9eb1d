from django.http import Http404


def organization_results(request, public_id, organization_id):
    raise Http404


def person_results(request, member_id):
    raise Http404


def flags(request, public_id):
    raise Http404
