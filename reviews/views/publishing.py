from django.http import Http404


def reopen(request, public_id):
    raise Http404


def notice_list(request):
    raise Http404
