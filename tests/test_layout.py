"""
Module layout: one concept per module. No module of the four packages grows past 800 lines
(docs/DATAFLOW.md says where each concept lives; ../STYLE: split a module along its concepts
when it grows past about 600 lines).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 800


def test_no_module_is_longer_than_800_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for pkg in ("comfort", "sensors", "api", "maps")
        for p in (ROOT / pkg).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them along their concepts): {long}"


def test_docs_index_lists_every_page() -> None:
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "README.md"
               and f"]({p.name})" not in index]  # fmt: skip
    assert not missing, f"docs/README.md does not link: {missing}"
