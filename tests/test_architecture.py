"""The direction of dependency, read from the source: bot → recommender, bilibili → storage."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "bilibili", "recommender", "models", "storage")

# package -> top-level modules it must never import
FORBIDDEN = {
    "storage": {"telegram", "bot", "bilibili", "recommender", "models", "requests", "tensorflow",
                "keras"},
    "models": {"telegram", "bot", "bilibili", "recommender", "storage", "requests"},
    "bilibili": {"telegram", "bot", "recommender", "models", "sqlite3", "tensorflow", "keras"},
    # recommender/ serves in the bot process: TensorFlow only ever through models/ in the worker
    "recommender": {"telegram", "bot", "bilibili", "requests", "urllib", "http", "httpx",
                    "socket", "tensorflow", "keras"},
    "bot": set(),
}
# bilibili/ may use the shared records of storage/, never the database
ALLOWED_STORAGE_MODULES_FOR_BILIBILI = {"storage", "storage.records"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name imported anywhere in the file (module level or nested)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def source_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_has_sources(package):
    assert source_files(package), f"{package}/ has no Python files"


@pytest.mark.parametrize("package", [p for p in PACKAGES if FORBIDDEN[p]])
def test_no_forbidden_imports(package):
    offences = []
    for path in source_files(package):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offences, "\n".join(offences)


def test_bilibili_uses_only_storage_records():
    offences = []
    for path in source_files("bilibili"):
        for name in imported_modules(path):
            if name.split(".")[0] == "storage" and not (
                name in ALLOWED_STORAGE_MODULES_FOR_BILIBILI
                or name.startswith("storage.records.")
                or name in {"storage.Video", "storage.Credentials"}
            ):
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offences, "\n".join(offences)


def test_only_bot_imports_telegram():
    for package in PACKAGES:
        if package == "bot":
            continue
        for path in source_files(package):
            assert not any(
                n.split(".")[0] == "telegram" for n in imported_modules(path)
            ), f"{path.relative_to(ROOT)} imports telegram"


def test_the_numpy_scorer_needs_only_numpy():
    """The serving forward pass: numpy and the framework-free file reader, nothing else."""
    allowed = {"__future__", "numpy", "pathlib", "models", "models.wide_deep"}
    names = {n for n in imported_modules(ROOT / "models" / "numpy_scorer.py")
             if not n.startswith(("__future__.", "pathlib.", "models.wide_deep."))}
    assert names <= allowed, names - allowed


def test_the_checker_sees_imports(tmp_path):
    """The parser itself must find nested and from-imports, or the tests above prove nothing."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from telegram import Bot\nimport requests.adapters\n")
    assert {"telegram", "telegram.Bot", "requests.adapters"} <= imported_modules(sample)
