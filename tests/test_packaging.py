"""Package metadata: `pip install .` is allowed on Python 3.11-3.13, and the README says so."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SUPPORTED = ("3.11", "3.12", "3.13")


def test_requires_python_admits_exactly_the_supported_versions():
    spec = SpecifierSet(PROJECT["requires-python"])
    for version in SUPPORTED:
        assert spec.contains(f"{version}.0") and spec.contains(f"{version}.9"), version
    for version in ("3.10.14", "3.14.0"):
        assert not spec.contains(version), version


def test_classifiers_name_the_supported_versions():
    named = {c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"]
             if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert named == set(SUPPORTED)


def test_readme_names_the_supported_versions():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"Python 3\.11[–-]3\.13", readme), "README must name Python 3.11-3.13"
