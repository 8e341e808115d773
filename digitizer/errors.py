"""One exception type per failure, each with the exit code the CLI returns for it.

Modelled on OCRmyPDF: callers catch :class:`DigitizerError` and print ``str(exc)``
as a single line, so every message must say what went wrong *and* what to do.
"""

from __future__ import annotations


class DigitizerError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class InputFileError(DigitizerError):
    """The input file can't be read as a scan (corrupt, truncated, empty, wrong type)."""

    exit_code = 2


class EncryptedInputError(InputFileError):
    """The input PDF asks for a password."""


class BlankDocumentError(InputFileError):
    """Every page of the input is blank and the profile drops blank pages."""


class OversizedInputError(InputFileError):
    """The input would decode to more pixels than the configured limit (decompression bomb)."""


class ConfigurationError(DigitizerError):
    """A profile, pipeline or setting is missing or invalid."""

    exit_code = 3


class MissingDependencyError(DigitizerError):
    """An external program or data file (Tesseract, a language, poppler) is missing."""

    exit_code = 4


class CertificateError(DigitizerError):
    """The signing certificate is missing, unreadable, expired, or its password is wrong."""

    exit_code = 5


class SigningError(DigitizerError):
    """Signing a document failed."""

    exit_code = 6


class OcrError(DigitizerError):
    """The OCR engine failed on a page."""

    exit_code = 7


class StoreError(DigitizerError):
    """The store (database or archive) could not record a result."""

    exit_code = 8


class QueueError(DigitizerError):
    """The task queue of distributed runs (Redis) cannot be reached or refused a task."""

    exit_code = 9


class DiskFullError(DigitizerError):
    """The home's file system has too little free space to write a document and its record.

    Not the file's fault: the run stops (the files not yet done stay where they are) rather
    than fail every file that follows.
    """

    exit_code = 10
