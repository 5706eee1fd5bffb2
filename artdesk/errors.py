"""The error families every loader raises, each with a sentence for people.

A loader of an outside file never lets a library's own exception (zlib.error, RecursionError,
OverflowError, MemoryError, ...) escape: it raises the error of its family. The GUI shows the
message in a dialog; the CLI prints it and exits with status 2 (artdesk.cli.main catches the
family in one place)."""

from __future__ import annotations


class ArtDeskError(Exception):
    """A file or model could not be used; str(error) says why, in words for people."""


class ProjectFileError(ArtDeskError):
    """A project file (.artdesk, a recovery copy) could not be read."""


class ImportFailed(ArtDeskError):
    """An outside picture or drawing (PNG, JPEG, WebP, ndjson, npz) could not be imported."""


class ModelError(ArtDeskError, ValueError):
    """A model (ONNX, a doodle model description, a Magenta .gen.json, a Bauhaus chain) is
    missing, damaged or unusable. Also a ValueError, as these loaders raised before."""
