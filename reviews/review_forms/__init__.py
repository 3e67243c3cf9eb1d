"""A review's form: saving it with optimistic versions (`services`), its
sections, criteria and levels as data, cached per `FormTemplate.changed_at`
(`content`), the form itself (`forms`) with its checks (`checks`) and its
fields' HTML (`html`), and the pages of a form (`views`). The service names
are re-exported here.
"""

from .services import (
    SAVE_STAMPS,
    StaleVersion,
    refuse_save,
    save_review,
    write_review,
)

__all__ = [
    "SAVE_STAMPS",
    "StaleVersion",
    "refuse_save",
    "save_review",
    "write_review",
]
