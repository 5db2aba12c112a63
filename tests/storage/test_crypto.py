"""The credentials key: generated 0600 and reused, taken from the env, clear errors."""
from __future__ import annotations

import os
import stat
import threading

import pytest
from cryptography.fernet import Fernet

from domain import Credentials
from storage import CredentialsUnreadable, Storage, load_or_create_key
from storage.crypto import CredentialCipher, KEY_FILENAME


def test_key_file_created_0600_and_reused(data_dir):
    key = load_or_create_key(data_dir, None)
    path = data_dir / KEY_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(key)  # a valid key
    assert load_or_create_key(data_dir, None) == key
    assert load_or_create_key(data_dir, "  ") == key  # blank env value counts as unset


def test_key_file_mode_ignores_permissive_umask(data_dir):
    old = os.umask(0)
    try:
        load_or_create_key(data_dir, None)
    finally:
        os.umask(old)
    assert stat.S_IMODE((data_dir / KEY_FILENAME).stat().st_mode) == 0o600


def test_concurrent_first_start_agrees_on_one_key(data_dir):
    keys, barrier = [], threading.Barrier(8)

    def start():
        barrier.wait()
        keys.append(load_or_create_key(data_dir, None))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys) == 8


def test_env_key_wins_and_writes_no_file(data_dir):
    env = Fernet.generate_key().decode()
    assert load_or_create_key(data_dir, env + "\n") == env.encode()
    assert not (data_dir / KEY_FILENAME).exists()


@pytest.mark.parametrize("bad", ["not-a-key-SECRETVALUE123", "x" * 44, "A" * 43 + "!"])
def test_invalid_env_key_is_named_not_echoed(data_dir, bad):
    with pytest.raises(ValueError) as caught:
        load_or_create_key(data_dir, bad)
    message = str(caught.value)
    assert "BILIREC_SECRET_KEY" in message
    assert bad not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_corrupt_key_file_is_reported(data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / KEY_FILENAME).write_text("garbage-SECRET")
    with pytest.raises(ValueError) as caught:
        load_or_create_key(data_dir, None)
    assert KEY_FILENAME in str(caught.value) and "garbage" not in str(caught.value)


def test_wrong_key_gives_credentials_unreadable(data_dir, key, database_url):
    with Storage(data_dir, key, database_url=database_url) as store:
        store.save_credentials(1, Credentials({"SESSDATA": "sess-WRONGKEY-1"}, "rt-WRONGKEY"))
    with Storage(data_dir, Fernet.generate_key(), database_url=database_url) as store:
        with pytest.raises(CredentialsUnreadable) as caught:
            store.load_credentials(1)
        text = str(caught.value)
        assert "WRONGKEY" not in text and "BILIREC_SECRET_KEY" in text
        assert caught.value.__cause__ is None
        # the rest of the user's data is still readable, and a new login replaces the old one
        assert store.get_user(1) is not None
        store.save_credentials(1, Credentials({"SESSDATA": "fresh"}, "rt"))
        assert store.load_credentials(1).cookies["SESSDATA"] == "fresh"


def test_corrupt_payload_gives_credentials_unreadable(key):
    cipher = CredentialCipher(key)
    token = Fernet(key).encrypt(b'{"cookies": "SESSDATA=sess-CORRUPT"}')
    with pytest.raises(CredentialsUnreadable) as caught:
        cipher.decrypt(token)
    assert "CORRUPT" not in str(caught.value)


def test_invalid_key_passed_to_storage(data_dir):
    with pytest.raises(ValueError) as caught:
        Storage(data_dir, b"short-SECRET")
    assert "short-SECRET" not in str(caught.value)


def test_failed_key_write_leaves_no_partial_file(data_dir, monkeypatch):
    from storage import crypto

    def full_disk(fd, data):
        raise OSError("No space left on device")

    monkeypatch.setattr(crypto.os, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        load_or_create_key(data_dir, None)
    monkeypatch.undo()
    assert not (data_dir / KEY_FILENAME).exists()
    key = load_or_create_key(data_dir, None)
    assert load_or_create_key(data_dir, None) == key


def test_no_new_key_file_while_encrypted_credentials_exist(data_dir):
    from storage import KeyMissing

    key = load_or_create_key(data_dir, None)
    with Storage(data_dir, key) as storage:
        storage.save_credentials(1, Credentials({"SESSDATA": "s3cr3t"}, "rt"))
    (data_dir / KEY_FILENAME).unlink()
    with pytest.raises(KeyMissing) as caught:
        load_or_create_key(data_dir, None)
    assert "s3cr3t" not in str(caught.value)
    assert not (data_dir / KEY_FILENAME).exists()
    new = load_or_create_key(data_dir, None, allow_new=True)
    with Storage(data_dir, new) as storage:
        assert storage.unreadable_credentials() == [1]
        storage.save_credentials(2, Credentials({"SESSDATA": "x"}, "rt"))
        assert storage.unreadable_credentials() == [1]
