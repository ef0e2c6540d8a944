"""
Staged files: an export is written to temporary files beside its targets and renamed over them
(:func:`os.replace`) only when every file is complete, so a failed or killed export leaves the
targets as they were (absent, or the previous export).

Examples
--------
>>> import tempfile
>>> out = Path(tempfile.mkdtemp()) / "t.csv"
>>> with staged(out) as (tmp,):
...     _ = tmp.write_text("a,b\\n")
>>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
('a,b\\n', ['t.csv'])
>>> try:
...     with staged(out) as (tmp,):
...         _ = tmp.write_text("half")
...         raise OSError("disk full")
... except OSError:
...     pass
>>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
('a,b\\n', ['t.csv'])
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: A temporary file untouched for this long (s) is left over from a killed export.
STALE_TMP_S = 900.0


def temp_beside(path: Path) -> Path:
    """
    A new empty temporary file in the folder of ``path`` (same file system, so the final rename
    is atomic), named ``.<name>.<random>.tmp<suffix>`` (hidden; the suffix keeps writers that
    look at it, such as GDAL's GeoPackage driver, content).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    return Path(name)


def remove_stale_temps(path: Path, max_age_s: float = STALE_TMP_S) -> list[Path]:
    """
    Delete temporary files of ``path`` left by killed exports (not modified for ``max_age_s``).

    An export in progress keeps writing its temporary file, so only abandoned ones are old.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    now = time.time()
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*.tmp{path.suffix}"):
        try:
            if now - tmp.stat().st_mtime > max_age_s:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            continue
    return removed


@contextmanager
def staged(*paths: Path) -> Iterator[tuple[Path, ...]]:
    """
    Temporary files for ``paths``, renamed over them in order when the block ends without an
    exception; removed (and the targets left untouched) when it raises.

    Parameters
    ----------
    paths
        The target files (e.g. an export and its sidecar).

    Yields
    ------
    tuple of pathlib.Path
        One temporary file per target, in the same folder.
    """
    temps: list[Path] = []
    try:
        for p in paths:
            temps.append(temp_beside(Path(p)))
        yield tuple(temps)
        for tmp, p in zip(temps, paths, strict=True):
            os.replace(tmp, p)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    for p in paths:
        remove_stale_temps(Path(p))
