"""Python's cyclic garbage collector paused around work that makes many
short-lived containers and lets them all go at its end: a member import
(organizations/tasks.py) and the dashboard's figures (reviews/dashboard/).
Each full collection during such work walked everything it had made, and
every loaded module again.

Pauses in the threads of one process nest: the collector runs again after
the last, and stays off if it was off before the first.
"""

import contextlib
import gc
import threading

_collector = {"paused": 0, "was_enabled": True}
_collector_lock = threading.Lock()


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while the block runs."""
    with _collector_lock:
        if _collector["paused"] == 0:
            _collector["was_enabled"] = gc.isenabled()
            gc.disable()
        _collector["paused"] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector["paused"] -= 1
            if _collector["paused"] == 0 and _collector["was_enabled"]:
                gc.enable()
