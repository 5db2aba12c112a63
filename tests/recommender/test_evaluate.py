"""The evaluation command: conditions × methods as served, the JSON figures, a stored user."""
from __future__ import annotations

import json

import numpy as np

from recommender.evaluate import METHODS, bootstrap_interval, format_hit_rates, main
from domain import Impression, Video
from storage import Storage, load_or_create_key

SHOWN_AT = 1_764_547_200.0  # Monday 2025-12-01 00:00 UTC: ISO week 2025-W49


def table_rows(output: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in output.splitlines()
            if line.split() and line.split()[0] in METHODS}


def test_synthetic_conditions_print_every_method_and_write_json(tmp_path, capsys):
    figures_path = tmp_path / "figures.json"
    report_path = tmp_path / "EVALUATION.md"
    assert main(["--synthetic", "--conditions", "cold,no_counts", "--users", "1", "--seeds",
                 "4", "--json", str(figures_path), "--markdown", str(report_path)]) == 0
    output = capsys.readouterr().out
    assert "[cold]" in output and "[no_counts]" in output
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert set(figures) == {"cold", "no_counts"}
    for condition in figures.values():
        assert set(condition) == set(METHODS)
        for method in condition.values():
            assert set(method) == {"auc", "auc_low", "auc_high", "ndcg10", "hot_on_taste"}
    cold = figures["cold"]
    assert cold["wide_deep"]["auc"] is None                   # too few watches: no model ...
    assert cold["served"]["auc"] == cold["content_affinity"]["auc"]   # ... the fallback serves
    trained = figures["no_counts"]
    assert 0.5 < trained["wide_deep"]["auc"] <= 1.0
    low, high = trained["served"]["auc_low"], trained["served"]["auc_high"]
    assert low <= trained["served"]["auc"] <= high
    assert 0.0 <= trained["served"]["hot_on_taste"] <= 1.0
    report = report_path.read_text(encoding="utf-8")
    assert "| cold | served |" in report and "served − content_affinity" in report
    assert "expected calibration error" in output


def test_stored_user_evaluation(user, tmp_path, capsys):
    storage = Storage(tmp_path, load_or_create_key(tmp_path, None), clock=lambda: SHOWN_AT)
    storage.ensure_user(7)
    storage.save_behaviour(7, user.behaviour)
    storage.save_pool(7, "feed", user.pool)
    watched_before = {v.bvid for v in user.behaviour}
    shown = [v for v in user.pool if v.bvid not in watched_before][:4]
    storage.record_impressions(7, "explore", "model", [(v, 0.5) for v in shown])
    watched = shown[0]
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


def test_bootstrap_interval():
    rng = np.random.default_rng(0)
    mean, low, high = bootstrap_interval([0.7, 0.8, 0.9, float("nan")], rng)
    assert abs(mean - 0.8) < 1e-12 and 0.7 - 1e-9 <= low < mean < high <= 0.9 + 1e-9
