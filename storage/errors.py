"""The storage layer's exception types. Their messages never carry a cookie, token or key."""
from __future__ import annotations


class StorageError(Exception):
    """Base class of every error raised on purpose by storage/."""


class CredentialsUnreadable(StorageError):
    """Stored credentials cannot be decrypted (another BILIREC_SECRET_KEY) or are corrupt.

    The user has to log in again; the operator should check BILIREC_SECRET_KEY."""


class SchemaVersionError(StorageError):
    """The database was written by a newer BiliRec (its schema version is unknown here)."""


class StorageClosed(StorageError):
    """The Storage was used after close()."""


class KeyMissing(StorageError):
    """The key file is gone but the database holds encrypted credentials: a new key would
    silently make them unreadable, so none is generated."""


class StorageUnavailable(StorageError):
    """The database server cannot be reached (after bounded retries) or the connection was lost
    mid-transaction; nothing of that transaction was written. The next call reconnects."""
