"""Per-user revision numbers: every write to a part bumps it, nothing else does, never reused."""
from __future__ import annotations

import pytest

from domain import Credentials, Video
from storage import Storage
from storage.db import REVISION_PARTS

WRITES = {
    "behaviour": lambda st: st.save_behaviour(1, [Video("BV1", view_at=5, progress=-1)]),
    "pool": lambda st: st.save_pool(1, "popular", [Video("BV2", view=10)]),
    "feedback": lambda st: st.add_feedback(1, "BV3", -1),
    "sent": lambda st: st.record_sent(1, ["BV4"], "hot"),
    "model": lambda st: st.register_model(1, st.model_dir(1) / "model-1.npz", {"auc": 0.9}, 3),
}


def test_a_new_user_has_revision_zero_everywhere(store):
    assert store.user_revisions(1) == dict.fromkeys(REVISION_PARTS, 0)
    assert store.user_revision(1) == 0
    assert set(WRITES) == set(REVISION_PARTS)


@pytest.mark.parametrize("part", REVISION_PARTS)
def test_each_write_bumps_its_own_part_only(store, part):
    store.ensure_user(1)
    store.ensure_user(2)
    WRITES["behaviour"](store)         # every part has some history first
    for write in WRITES.values():
        write(store)
    before, other_user = store.user_revisions(1), store.user_revisions(2)
    WRITES[part](store)
    after = store.user_revisions(1)
    assert after[part] > max(before.values())
    assert {k: v for k, v in after.items() if k != part} == \
        {k: v for k, v in before.items() if k != part}
    assert store.user_revision(1) == after[part] > 0
    assert store.user_revisions(2) == other_user


def test_writes_that_do_not_change_ranking_inputs_leave_revisions_alone(store):
    WRITES["behaviour"](store)
    before = store.user_revisions(1)
    store.set_language(1, "en")
    store.set_bilibili_account(1, 42, "name")
    store.save_credentials(1, Credentials({"SESSDATA": "s", "bili_jct": "j",
                                           "DedeUserID": "42"}, "r"))
    store.delete_credentials(1)
    store.set_digest(1, "08:00", "Asia/Shanghai")
    store.mark_digest_sent(1, "2024-01-02")
    store.save_behaviour(1, [])                        # nothing to write
    store.record_sent(1, [], "hot")
    assert store.user_revisions(1) == before


def test_revisions_are_never_reused_after_erase(store):
    for write in WRITES.values():
        write(store)
    highest = store.user_revision(1)
    store.erase_user(1)
    assert store.user_revisions(1) == dict.fromkeys(REVISION_PARTS, 0)
    WRITES["behaviour"](store)
    assert store.user_revisions(1)["behaviour"] > highest


def test_another_connection_sees_the_bump(store, open_store):
    WRITES["behaviour"](store)
    with open_store() as other:
        seen = other.user_revisions(1)
        WRITES["feedback"](other)
        assert store.user_revisions(1)["feedback"] > max(seen.values())
        assert store.user_revisions(1) == other.user_revisions(1)
