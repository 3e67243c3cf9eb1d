"""Publishing a cycle's results: notices and e-mails to every subject."""


def publish_results(cycle, user):
    """Notify each organization and member of their final rating."""
