"""Publishing a cycle's results: notices and e-mails to every subject, and
reopening (`services`); the pages that reopen a cycle (staff) and list each
user's notices (`views`). The service names are re-exported here, so
`publishing.publish_results` keeps working.
"""

from .services import (
    BATCH,
    Changed,
    Decided,
    ReopenRefused,
    Stage,
    changed_results,
    final_exemption,
    final_rating,
    note_publication,
    notice_text,
    person_of,
    publish_results,
    recipient_of,
    reopen_cycle,
    result_mail,
    secretaries_of,
    send_mailing,
    send_result_mails,
    unnoticed,
    write_notices,
)

__all__ = [
    "BATCH",
    "Changed",
    "Decided",
    "ReopenRefused",
    "Stage",
    "changed_results",
    "final_exemption",
    "final_rating",
    "note_publication",
    "notice_text",
    "person_of",
    "publish_results",
    "recipient_of",
    "reopen_cycle",
    "result_mail",
    "secretaries_of",
    "send_mailing",
    "send_result_mails",
    "unnoticed",
    "write_notices",
]
