"""Storage: SQLite or PostgreSQL (storage/backends.py), migrations, encrypted credentials, files.

``Storage`` (storage/db.py) is the only way the rest of BiliRec reads or writes user data; the
schema lives in storage/schema.py, the credentials key in storage/crypto.py, atomic file writes
and per-user model directories in storage/files.py.
"""
from storage.errors import (CredentialsUnreadable, KeyMissing, SchemaVersionError,
                            StorageClosed, StorageError, StorageUnavailable)
from storage.crypto import load_or_create_key
from storage.db import DigestSetting, ModelRecord, MuteRecord, Storage, UserRecord, UserSettings

__all__ = [
    "Storage", "UserRecord", "ModelRecord", "DigestSetting", "MuteRecord", "UserSettings",
    "load_or_create_key",
    "StorageError", "CredentialsUnreadable", "KeyMissing", "SchemaVersionError", "StorageClosed",
    "StorageUnavailable",
]
