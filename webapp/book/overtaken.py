"""Settings the board shares (a provider, a survey round and its areas, the year's targets, the
month's evaluation) saved from desk forms opened on an older version: no last save wins.

The form carries the `mark` of what it was opened on. A save whose mark is not that of what the
record holds now — another board member saved since (two at the meeting, each on their phone, or
one in two tabs) — and which sends other values than the record holds writes nothing: Overtaken,
which carries what the other saved, for the page to show above what the user typed, to merge and
save again. The same form sent twice (a double tap, a lost answer and a retry) sends what the
record holds after its first sending: that is taken, never called overtaken, and writes nothing.

(Entries — cases, visits, referrals, activities — have revisions instead: sync.desk_edit keeps a
stale save aside as a conflict, conflicts.py.)
"""
import hashlib
import json

from flask_babel import lazy_gettext as _l


def _canonical(values):
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


def mark(saved):
    """What a form carries of the values it was opened on (a dict): a digest, not a copy."""
    return hashlib.sha256(_canonical(saved).encode()).hexdigest()[:16]


class Overtaken(ValueError):
    """Another board member saved the record after the form was opened: nothing was written.

    `saved`: the values the record holds now (the other's), in the shape the save was given;
    `by`: who saved them, or None; `message`: what happened and what to do."""

    def __init__(self, saved, by=None, message=None):
        self.saved = saved
        self.by = by
        self.name = (by.full_name or by.login) if by is not None else ""
        if callable(message):
            message = message(self.name)  # None: the message below
        if message is None:
            message = (_l("%(name)s saved this meanwhile: nothing was overwritten. What they saved "
                          "is shown above what you typed; keep what you want of it in the form, "
                          "then save again.", name=self.name) if by is not None else
                       _l("Another board member saved this meanwhile: nothing was overwritten. "
                          "What they saved is shown above what you typed; keep what you want of "
                          "it in the form, then save again."))
        super().__init__(str(message))
        self.message = message


def check(seen, saved, typed, by=None, message=None):
    """Whether a save may write: raise Overtaken if the form was opened on another version than
    `saved` (`seen` is its mark) and sends other values (`typed`, in the same shape) than `saved`.

    Returns True if `typed` is what `saved` already holds (the form sent again after its first
    sending was written, or nothing changed): the caller writes nothing. `by`: who saved `saved`
    (a user, or a function giving one, asked only when overtaken); `message`: the Overtaken's
    (text, or a function of the saver's name giving a text, or None for the shared one). A form
    that names no version (`seen` empty: drawn before forms carried one) is not checked.
    """
    unchanged = _canonical(typed) == _canonical(saved)
    if seen and not unchanged and seen != mark(saved):
        raise Overtaken(saved, by() if callable(by) else by, message)
    return unchanged
