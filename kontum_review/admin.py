from kontum_review.vietnamese import fold


class FoldedSearchMixin:
    """Search the stored accent-free key, so "nguyen van an" finds "Nguyễn Văn Ân"."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, fold(search_term))
