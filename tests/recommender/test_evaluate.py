"""The evaluation command: synthetic users and a stored user, printing the plain-text table."""
from __future__ import annotations

from recommender.evaluate import COLUMNS, METHODS, main
from storage import Storage, load_or_create_key


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
    storage = Storage(tmp_path, load_or_create_key(tmp_path, None))
    storage.ensure_user(7)
    storage.save_behaviour(7, user.behaviour)
    storage.save_pool(7, "feed", user.pool)
    storage.close()
    assert main(["--user", "7", "--data-dir", str(tmp_path), "--seeds", "1"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("user 7:") and set(table_rows(output)) == set(METHODS)
