"""Errors raised while reading a source; each carries a reason a user can act on."""


class IngestError(Exception):
    """A source could not be ingested. ``str(err)`` is a one-line, specific reason."""


class UnsupportedFormat(IngestError):
    """The file type has no loader."""


class FileTooLarge(IngestError):
    """The file is over the configured size limit."""
