"""
Write the kaiteki research notebooks (``notebooks/*.ipynb``) without outputs.

The notebooks are generated from the cell lists below so that they stay reviewable as plain
Python in git and are always stored stripped of outputs. Edit a notebook here, then run::

    .venv/bin/python notebooks/_build.py

The committed ``.ipynb`` files are the output of this script; ``tests/test_notebooks.py``
executes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _cells import NOTEBOOKS  # noqa: E402


def build(name: str, cells: list[str]) -> nbformat.NotebookNode:
    """One notebook from cell sources: a source starting with ``"# md\\n"`` is markdown."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, src in enumerate(cells):
        src = src.strip("\n")
        if src.startswith("# md\n"):
            cell = new_markdown_cell(src.removeprefix("# md\n"))
        else:
            cell = new_code_cell(src)
        cell["id"] = f"{name[:2]}-{i:02d}"
        nb.cells.append(cell)
    return nb


def main() -> None:
    """Write every notebook of :data:`_cells.NOTEBOOKS`."""
    for name, cells in NOTEBOOKS.items():
        if not cells:
            continue
        nb = build(name, cells)
        nbformat.validate(nb)
        path = HERE / name
        nbformat.write(nb, path)
        print(f"wrote {path.relative_to(HERE.parent)} ({len(cells)} cells)")


if __name__ == "__main__":
    main()
