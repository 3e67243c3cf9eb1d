"""The leaders' dashboard: the reader's scope (scope.py), the filter forms,
the pages and the lists behind each figure (views.py) and the charts' data
(charts.py, drawn by the {% dashboard %} template tags). The figures
themselves are counted in reviews/statistics/."""
