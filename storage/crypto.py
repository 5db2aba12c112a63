"""The key that encrypts credentials at rest, and the Fernet cipher around Credentials.

The key comes from BILIREC_SECRET_KEY, or else from ``<data_dir>/secret.key`` which is created
on first use with mode 0600 and reused afterwards. No key or secret ever reaches a message.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from storage.errors import CredentialsUnreadable, KeyMissing
from storage.files import fsync_dir
from domain import Credentials

logger = logging.getLogger(__name__)

ENV_NAME = "BILIREC_SECRET_KEY"
KEY_FILENAME = "secret.key"
# how long to wait for a key file another process is writing right now
KEY_FILE_WAIT_S = 2.0


def _checked_key(value: str | bytes, origin: str) -> bytes:
    """The key as bytes if Fernet accepts it; ValueError naming the origin (never the value)."""
    raw = value.encode("ascii", "replace") if isinstance(value, str) else bytes(value)
    raw = raw.strip()
    try:
        Fernet(raw)
    except (ValueError, TypeError):
        raise ValueError(f"{origin} is not a valid Fernet key (32 url-safe base64-encoded bytes; "
                         "make one with: python3 -c 'from cryptography.fernet import Fernet; "
                         "print(Fernet.generate_key().decode())')") from None
    return raw


def load_or_create_key(data_dir: str | os.PathLike, env_value: str | bytes | None, *,
                       allow_new: bool = False) -> bytes:
    """The Fernet key: ``env_value`` (BILIREC_SECRET_KEY) when given, else the key file.

    A blank ``env_value`` counts as unset. The key file ``data_dir/secret.key`` is created
    atomically (O_CREAT|O_EXCL, mode 0600) when missing, but never while the database holds
    encrypted credentials (KeyMissing) unless ``allow_new``. Raises ValueError when the given
    key or the key file is not a valid Fernet key."""
    if env_value is not None and env_value.strip():  # blank counts as unset
        return _checked_key(env_value, ENV_NAME)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / KEY_FILENAME
    if not path.exists() and not allow_new and _holds_credentials(data_dir):
        raise KeyMissing(f"the key file {path} is missing but the database holds encrypted "
                         "Bilibili logins")
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    try:
        try:
            os.write(fd, key + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        path.unlink(missing_ok=True)  # never leave an empty or partial key behind
        raise
    fsync_dir(data_dir)
    logger.info("generated a new credentials key in %s", path)
    return key


def _holds_credentials(data_dir: Path) -> bool:
    """Whether the data directory's database (if any) stores at least one credential."""
    from storage.db import DB_FILENAME  # db imports this module

    path = data_dir / DB_FILENAME
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT 1 FROM credentials LIMIT 1").fetchone() is not None
    except sqlite3.Error:  # no such table yet, or not a database: Storage will say
        return False
    finally:
        conn.close()


def _read_key_file(path: Path) -> bytes:
    """Read an existing key file, waiting briefly if another process is still writing it."""
    deadline = time.monotonic() + KEY_FILE_WAIT_S
    while True:
        raw = path.read_bytes().strip()
        if raw or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    return _checked_key(raw, f"key file {path}")


class CredentialCipher:
    """Encrypts Credentials to a Fernet token and back."""

    def __init__(self, key: bytes):
        self._fernet = Fernet(_checked_key(key, "the credentials key"))

    def encrypt(self, creds: Credentials) -> bytes:
        """The Fernet token of the credentials (cookies and refresh_token as JSON)."""
        payload = json.dumps({"cookies": dict(creds.cookies),
                              "refresh_token": creds.refresh_token}, ensure_ascii=False)
        return self._fernet.encrypt(payload.encode("utf-8"))

    def decrypt(self, token: bytes) -> Credentials:
        """The credentials in a token; CredentialsUnreadable on a wrong key or corrupt data."""
        try:
            payload = json.loads(self._fernet.decrypt(bytes(token)))
            cookies = payload["cookies"]
            refresh_token = payload["refresh_token"]
            if not isinstance(cookies, dict) or not isinstance(refresh_token, str):
                raise TypeError
            return Credentials(cookies={str(k): str(v) for k, v in cookies.items()},
                               refresh_token=refresh_token)
        except InvalidToken:
            raise CredentialsUnreadable(
                f"stored credentials cannot be decrypted with this key ({ENV_NAME} or "
                f"{KEY_FILENAME} changed?); the user must log in again") from None
        except (ValueError, TypeError, KeyError):
            raise CredentialsUnreadable("stored credentials are corrupt; the user must log in "
                                        "again") from None
