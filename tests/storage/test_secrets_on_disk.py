"""No cookie or refresh_token value appears in plain text in any file under the data dir."""
from __future__ import annotations

from domain import Credentials, Video
from storage import Storage
from storage.crypto import KEY_FILENAME

from tests.storage.disk import files_containing, files_under

SESSDATA = "SESSDATA-c0ffee%2C1798000000%2Cabcdef%2A42-FAKE"
BILI_JCT = "bili-jct-0123456789abcdef-FAKE"
REFRESH_TOKEN = "refresh-token-feedfacecafebeef-FAKE"
REFRESHED_SESSDATA = "SESSDATA-refreshed-9999-FAKE"
REFRESHED_TOKEN = "refresh-token-second-generation-FAKE"
SECRETS = (SESSDATA, BILI_JCT, REFRESH_TOKEN, REFRESHED_SESSDATA, REFRESHED_TOKEN)
PLAIN_MARKER = "plain-uname-MARKER-7f3a"   # stored in clear on purpose: proves the scan sees data


def assert_no_secret_on_disk(data_dir):
    key_file = data_dir / KEY_FILENAME
    scanned = [p.name for p in files_under(data_dir, exclude=(key_file,))]
    assert "bilirec.sqlite3" in scanned
    for secret in SECRETS:
        assert files_containing(data_dir, secret, exclude=(key_file,)) == [], secret


def test_cookie_values_never_reach_disk(data_dir, key):
    store = Storage(data_dir, key)
    try:
        store.ensure_user(1)
        store.set_bilibili_account(1, 4242, PLAIN_MARKER)
        store.save_credentials(1, Credentials(
            {"SESSDATA": SESSDATA, "bili_jct": BILI_JCT, "DedeUserID": "4242",
             "DedeUserID__ckMd5": "ab12", "sid": "sid-1"}, REFRESH_TOKEN))
        store.save_behaviour(1, [Video("BV1", title="t", view_at=1)])
        # while open: the rows sit in the WAL, which is scanned too
        assert (data_dir / "bilirec.sqlite3-wal").exists()
        assert files_containing(data_dir, PLAIN_MARKER), "the scan must see stored data"
        assert_no_secret_on_disk(data_dir)
        # a cookie refresh replaces the login
        store.save_credentials(1, Credentials({"SESSDATA": REFRESHED_SESSDATA,
                                               "bili_jct": BILI_JCT}, REFRESHED_TOKEN))
        assert store.load_credentials(1).cookies["SESSDATA"] == REFRESHED_SESSDATA
        assert_no_secret_on_disk(data_dir)
        store.checkpoint()
        assert_no_secret_on_disk(data_dir)
        store.delete_credentials(1)
        assert_no_secret_on_disk(data_dir)
    finally:
        store.close()
    assert files_containing(data_dir, PLAIN_MARKER) == ["bilirec.sqlite3"]
    assert_no_secret_on_disk(data_dir)
    # the key file holds only the key
    assert (data_dir / KEY_FILENAME).read_bytes().strip() == key


def test_env_key_leaves_no_key_file_and_no_secret(data_dir):
    from cryptography.fernet import Fernet

    from storage import load_or_create_key
    key = load_or_create_key(data_dir, Fernet.generate_key().decode())
    with Storage(data_dir, key) as store:
        store.save_credentials(7, Credentials({"SESSDATA": SESSDATA}, REFRESH_TOKEN))
    assert not (data_dir / KEY_FILENAME).exists()
    assert_no_secret_on_disk(data_dir)
