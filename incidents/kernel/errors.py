"""The one error type that services raise when a business rule refuses an operation."""


class DomainError(Exception):
    """A rule was broken; the message is meant for the person who asked. `field` names
    the input it concerns (API errors put it under that field)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
