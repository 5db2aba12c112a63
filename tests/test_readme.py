"""The README stays true: its environment table is the settings' own, and CI runs its test command."""
from __future__ import annotations

import re
from pathlib import Path

from bot.settings import describe

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_environment_table_matches_the_settings():
    assert describe().strip() in README, (
        "README's configuration table differs from bot.settings.describe(); paste its output")


def test_every_variable_the_code_reads_is_documented():
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.M))
    read_by_code = set()
    for path in (ROOT / "bot").rglob("*.py"):
        read_by_code |= set(re.findall(r"[\"']((?:TELEGRAM|BILIBILI|BILIREC)_[A-Z_]+)[\"']",
                                       path.read_text(encoding="utf-8")))
    assert read_by_code and read_by_code <= documented, read_by_code - documented


def test_ci_runs_the_readme_test_command():
    block = re.search(r"<!-- test-command -->\n```bash\n(.+?)\n```\n<!-- /test-command -->",
                      README, flags=re.S)
    assert block and "pytest" in block.group(1)
    assert "test-command" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
