"""Exceptions and warnings raised by glutesense.

Every error that bad *input* can cause is a :class:`GlutesenseError`. The
subclasses are also :class:`ValueError` so that callers who only know the
standard library can still catch them. The CLI turns any ``GlutesenseError``
into one line naming the file and the problem, with exit code 3.

Hierarchy
---------
GlutesenseError
    FormatError(ValueError)          file cannot be parsed / is not a supported format
        UnsupportedFormatError       no reader recognises the content
        InputTooLargeError           size limits (uploads, zip bombs, enormous lines)
    SamplingRateError(ValueError)    fs missing, non-finite, too low, irregular beyond repair
    TimeBaseError(ValueError)        time stamps that run backwards beyond repair
    UnitError(ValueError)            units that cannot be identified or converted
    ParameterError(ValueError)       invalid argument to a public function
"""

from __future__ import annotations

__all__ = [
    "GlutesenseError",
    "FormatError",
    "UnsupportedFormatError",
    "InputTooLargeError",
    "SamplingRateError",
    "TimeBaseError",
    "UnitError",
    "ParameterError",
    "GlutesenseWarning",
]


class GlutesenseError(Exception):
    """Base class of every error glutesense raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong and, where possible, how to fix it.
    path : str or None
        The file the problem is about, if any. The CLI prefixes it.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)

    def with_path(self, path: object) -> "GlutesenseError":
        """Return the same error bound to *path* (no-op when one is already set)."""
        if self.path is None:
            self.path = str(path)
        return self

    def one_line(self) -> str:
        """The message as a single line, prefixed with the file when known."""
        msg = " ".join(str(self.message).split())
        return f"{self.path}: {msg}" if self.path else msg

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.one_line()


class FormatError(GlutesenseError, ValueError):
    """The file's content cannot be parsed as the format it claims to be."""


class UnsupportedFormatError(FormatError):
    """No registered reader recognises the file's content."""


class InputTooLargeError(FormatError):
    """The input exceeds a size limit (upload cap, zip bomb, enormous line)."""


class SamplingRateError(GlutesenseError, ValueError):
    """The sampling rate is missing, invalid or too low for the purpose."""


class TimeBaseError(GlutesenseError, ValueError):
    """Time stamps run backwards or are duplicated beyond repair."""


class UnitError(GlutesenseError, ValueError):
    """Units cannot be identified or converted."""


class ParameterError(GlutesenseError, ValueError):
    """An argument to a public function is invalid."""


class GlutesenseWarning(UserWarning):
    """The one warning category glutesense emits."""
