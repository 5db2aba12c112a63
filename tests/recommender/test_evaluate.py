"""The evaluation command: synthetic users and a stored user, printing the plain-text table."""
from __future__ import annotations

from recommender.evaluate import COLUMNS, METHODS, format_hit_rates, main
from storage import Impression, Storage, Video, load_or_create_key

SHOWN_AT = 1_764_547_200.0  # Monday 2025-12-01 00:00 UTC: ISO week 2025-W49


def table_rows(output: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in output.splitlines()
            if line.split() and line.split()[0] in METHODS}


def test_synthetic_evaluation_prints_every_method(capsys):
    assert main(["--synthetic", "--users", "1", "--seeds", "4", "--watches", "250-250"]) == 0
    output = capsys.readouterr().out
    header = next(line for line in output.splitlines() if line.startswith("method"))
    assert header.split() == ["method", *COLUMNS]
    rows = table_rows(output)
    assert set(rows) == set(METHODS)
    auc = float(rows["wide_deep"][0])
    assert 0.5 < auc <= 1.0
    assert "planted" in output


def test_stored_user_evaluation(user, tmp_path, capsys):
    storage = Storage(tmp_path, load_or_create_key(tmp_path, None), clock=lambda: SHOWN_AT)
    storage.ensure_user(7)
    storage.save_behaviour(7, user.behaviour)
    storage.save_pool(7, "feed", user.pool)
    storage.record_impressions(7, "explore", "model", [(v, 0.5) for v in user.pool[:4]])
    watched = user.pool[0]
    storage.save_behaviour(7, [Video(watched.bvid, view_at=int(SHOWN_AT) + 600, progress=-1)])
    storage.close()
    assert main(["--user", "7", "--data-dir", str(tmp_path), "--seeds", "1"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("user 7:") and set(table_rows(output)) == set(METHODS)
    assert "4 impressions" in output.splitlines()[0]
    assert ["2025-W49", "explore", "4", "1", "25.0%"] in [line.split()
                                                         for line in output.splitlines()]


def test_hit_rates_per_week_and_channel_only_count_the_top_ten():
    shown = [Impression(Video(f"BV{i}"), "hot", i, SHOWN_AT, "content", None) for i in range(12)]
    shown.append(Impression(Video("BVd"), "digest", 0, SHOWN_AT + 7 * 86400, "model", 0.9))
    behaviour = [Video("BV1", view_at=int(SHOWN_AT) + 5), Video("BV11", liked=True)]
    rows = [line.split() for line in format_hit_rates(shown, behaviour, [(Video("BVd"), 1)],
                                                      now=SHOWN_AT).splitlines()]
    assert rows[-2:] == [["2025-W49", "hot", "10", "1", "10.0%"],
                         ["2025-W50", "digest", "1", "1", "100.0%"]]
    assert "no impressions" in format_hit_rates([], behaviour, [], now=SHOWN_AT)
