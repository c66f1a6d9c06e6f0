"""`Invalid`: the one error for "this input, or this decision, breaks a rule — here are the
messages". Raised by the book and the machinery alike; a view shows the messages on its form, or
lets the error go to the app's handler (errors.py), which answers a page or, under /api/, JSON."""


class Invalid(ValueError):
    """Messages in the user's language (lazy strings, rendered in the reader's language), keyed by
    the field they are about: `Invalid({"date": …, "kind": …})`, or `Invalid(message, field="date")`
    for one message ("" when it is about no field in particular)."""

    def __init__(self, errors, field=""):
        if not isinstance(errors, dict):
            errors = {field: errors}
        super().__init__(errors)
        self.errors = dict(errors)

    @property
    def field(self):
        """The field of the first message."""
        return next(iter(self.errors), "")

    @property
    def message(self):
        """All the messages as one text."""
        return " ".join(str(message) for message in self.errors.values())
