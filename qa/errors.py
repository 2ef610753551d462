"""Errors the CLI and app turn into one clear line for the user."""

from __future__ import annotations


class QAError(Exception):
    """Base class: the message says what went wrong, why, and what to do."""


class CollectionNotFound(QAError):
    """A named collection does not exist."""


class CollectionMismatch(QAError):
    """A collection was built with a different model or settings than asked for."""


class CollectionCorrupt(QAError):
    """A collection folder is missing files or cannot be read."""


class InvalidInput(QAError):
    """A value given by the user is out of range or malformed."""


class NothingToIngest(QAError):
    """The given paths held no readable articles."""
