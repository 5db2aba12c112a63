"""One owner forgets a user: /logout and a login with another Bilibili account go through
``UserEraser``, and after /logout no table, no file and no in-memory store holds the user."""
from __future__ import annotations

from pathlib import Path

from bot.services.digest import DigestPlan
from storage.crypto import KEY_FILENAME
from tests.bot.conftest import CAT_MID, FOOD_MID, Chat, taste_history
from tests.bot.test_journey import qr_login
from tests.storage.disk import files_containing, files_under, open_db
from tests.storage.test_erase import populate

USER, KEPT = 7300451, 7300452          # ids distinctive enough to scan raw bytes for
FEW_MID = 1003                         # an account with too little history to train on
MARKER, KEPT_MARKER = "ERASE-OWNER-5e2a", "KEEP-OWNER-81c3"


def rows_holding(data_dir: Path, tg_id: int) -> dict[str, int]:
    """Per table of the real schema: rows with tg_id in any column (as a value or in text)."""
    conn = open_db(data_dir)
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            where = " OR ".join(f'"{c}" = ? OR CAST("{c}" AS TEXT) LIKE ?' for c in columns)
            count = conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE {where}',
                                 [tg_id, f"%{tg_id}%"] * len(columns)).fetchone()[0]
            found[table] = count
        return found
    finally:
        conn.close()


def test_logout_leaves_no_row_file_or_memory_of_the_user(tg, fake, start_bot, env):
    data_dir = Path(env["BILIREC_DATA_DIR"])
    runner = start_bot()
    svc = runner.services
    for tg_id, marker in ((USER, MARKER), (KEPT, KEPT_MARKER)):
        runner.call(lambda: populate(svc.storage, tg_id, marker))
        # the populated model is no real one: set aside, as after a damaged file (no retrain)
        model = runner.call(lambda: svc.storage.latest_model(tg_id)).path
        Path(model).rename(Path(model).with_name(Path(model).name + ".broken"))
    runner.call(lambda: svc.storage.save_credentials(USER, fake.credentials_for(FOOD_MID)))
    runner.call(lambda: svc.digests.plans.save(
        USER, DigestPlan("2099-01-01", [{"text": MARKER, "buttons": [], "bvids": []}])))
    chat = Chat(tg, USER)
    chat.ask("/hot 3", "热门")            # the serving cache holds the user
    chat.ask("/explore 3", "探索")        # and so do the last good list and the cookie check
    assert USER in runner.call(lambda: svc.lists._last_good)
    assert runner.call(lambda: svc.lists.cursors.videos(USER))    # ▶ cursors of both lists
    erased: list[int] = []
    runner.call(lambda: svc.eraser.register(erased.append))

    chat.log_out()

    assert erased == [USER]
    assert set(rows_holding(data_dir, USER).values()) == {0}
    kept = rows_holding(data_dir, KEPT)
    assert kept["users"] == 1 and kept["behaviour"] > 0 and kept["models"] == 1
    runner.call(svc.storage.checkpoint)
    assert not [path for path in files_under(data_dir) if str(USER) in str(path)]
    for needle in (MARKER, str(USER)):
        assert files_containing(data_dir, needle, exclude=(data_dir / KEY_FILENAME,)) == []
    assert files_containing(data_dir, KEPT_MARKER)
    assert USER not in runner.call(lambda: svc.lists._last_good)
    assert runner.call(lambda: svc.lists.cursors.videos(USER)) == []
    assert USER not in runner.call(lambda: svc.accounts._checked_at)
    assert USER not in runner.call(lambda: svc.recommender._cache._users)
    assert USER not in runner.call(lambda: svc.preferences._languages)


def test_login_with_another_account_forgets_the_old_one_through_the_eraser(tg, fake,
                                                                           start_bot):
    fake.add_account(FEW_MID, "few", history=taste_history(0, 0, count=5))
    runner = start_bot()
    chat = Chat(tg, USER)
    since = chat.mark()
    qr_login(chat, fake, runner, FEW_MID, wait_model=False)
    chat.wait_new(since, "数据已同步")   # that sync is over: nothing else erases meanwhile
    erased: list[int] = []
    runner.call(lambda: runner.services.eraser.register(erased.append))

    qr_login(chat, fake, runner, CAT_MID, wait_model=False)

    assert erased == [USER]
    assert runner.call(lambda: runner.services.storage.get_user(USER)).mid == CAT_MID
