"""Notices: what the author of an accepted entry should be told about it (a sync result's
`notice`), e.g. that its follow-up date made no appointment because the case is closed."""


class AlreadyRecorded(Exception):
    """What an entry records is already in the book under another uuid (another member recorded
    it too): the entry is answered as a duplicate of that row, and its author told `message`."""

    def __init__(self, row, message):
        super().__init__(message)
        self.row, self.message = row, message


def tell(row, message):
    """Say `message` (a lazy string) to whoever sent `row`, with the answer that takes it."""
    row.__dict__.setdefault("_notices", []).append(message)


def of(row):
    """The notices told about `row` while it was written, as one line ("" when none)."""
    return " ".join(str(message) for message in row.__dict__.get("_notices", []))
