"""The fault matrix as a test suite: one row per case (tests/faults/matrix.py), none skipped;
docs/RELIABILITY.md lists exactly these rows."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.faults.matrix import CASES, table

RELIABILITY = Path(__file__).resolve().parents[2] / "docs" / "RELIABILITY.md"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault(case, request):
    fixtures = inspect.signature(case.run).parameters
    case.run(**{name: request.getfixturevalue(name) for name in fixtures})


def test_reliability_doc_lists_every_case():
    assert len({case.id for case in CASES}) == len(CASES)
    assert table() in RELIABILITY.read_text(encoding="utf-8"), (
        "docs/RELIABILITY.md's matrix differs from tests.faults.matrix.table(); paste its output")
