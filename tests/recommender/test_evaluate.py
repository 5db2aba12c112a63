"""The evaluation command: conditions × methods as served, the JSON figures, a stored user."""
from __future__ import annotations

import json

import numpy as np

from recommender.evaluate import METHODS, bootstrap_interval, main
from storage import Storage, load_or_create_key


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
    storage = Storage(tmp_path, load_or_create_key(tmp_path, None))
    storage.ensure_user(7)
    storage.save_behaviour(7, user.behaviour)
    storage.save_pool(7, "feed", user.pool)
    storage.close()
    assert main(["--user", "7", "--data-dir", str(tmp_path), "--seeds", "1"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("user 7:") and set(table_rows(output)) == set(METHODS)


def test_bootstrap_interval():
    rng = np.random.default_rng(0)
    mean, low, high = bootstrap_interval([0.7, 0.8, 0.9, float("nan")], rng)
    assert abs(mean - 0.8) < 1e-12 and 0.7 - 1e-9 <= low < mean < high <= 0.9 + 1e-9
