"""The Standing Committee's review suggestions and assignments: appending
suggestion items (`services`), who and what its forms may choose (`choices`),
the suggestion forms and pages (`forms`, `views`) and the assignment forms and
pages (`assignment_forms`, `assignment_views`). The service names are
re-exported here; the forms and views are imported from their own modules.
"""

from .services import append_items

__all__ = ["append_items"]
