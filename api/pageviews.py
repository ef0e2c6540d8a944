"""
Content views: each course and map page view adds one to a daily count per page.

Nothing about the visitor is stored (no IP address, no cookie, no user agent, no time of day):
a view is one line holding the page path, appended to the log of its day,
``<cache_dir>/pageviews/YYYY-MM-DD.log`` (Asia/Tokyo days). A small ``O_APPEND`` write is
atomic with respect to other writers, so every server worker (and any other process) counts
views at once without a lock, and a page never waits for the store: DuckDB lets one process open
the store file for writing and no other process open it at all meanwhile, so writing views into
the store from the request path stalled pages and lost views while an ingest or a second worker
held it.

The counts feed the content-views KPI (``GET /v1/kpi``), which adds the logs to the
``page_views`` table of the store (``(day, page, views, simulated)``). :func:`compact`
(``kaiteki views compact``, also a step of ``kaiteki prepare``) folds the logs of finished days
into that table, once: each folded log is recorded in the store's ``files`` table (kind
``page_views``) in the same transaction, and deleted after the commit.

On a PostgreSQL store (``KAITEKI_STORE=postgresql://...``), which takes concurrent writers, a
view is written to ``page_views`` directly: one upsert per view
(``views = views + 1`` on the ``(day, page, simulated)`` key) on a connection kept per process.
When the server does not answer (a restart), the view goes to the day's log instead, so no view
is lost and none waits for the server; ``kaiteki views compact`` folds such logs later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import threading
import uuid
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from sensors.errors import StoreError
from sensors.store import Store, is_postgres_url, store_exists, store_url

log = logging.getLogger("kaiteki.api")

TZ = ZoneInfo("Asia/Tokyo")

#: Columns of :func:`daily_views` (nothing per visitor).
COLUMNS = ["day", "page", "views", "simulated"]

#: ``files.kind`` of a folded page-view log.
FILE_KIND = "page_views"

_LOG = re.compile(r"^(\d{4}-\d{2}-\d{2})\.log$")
_FOLDING = re.compile(r"^(\d{4}-\d{2}-\d{2})\.[0-9a-f]{32}\.folding$")


def log_dir(cache_dir: Path | str) -> Path:
    """The folder of the daily page-view logs under the cache folder."""
    return Path(cache_dir) / "pageviews"


#: Upsert of one view on a PostgreSQL store.
_UPSERT = (
    "INSERT INTO page_views (day, page, views, simulated) VALUES (?, ?, 1, false) "
    "ON CONFLICT (day, page, simulated) DO UPDATE SET views = page_views.views + 1"
)


class _StoreViews:
    """The connection of this process that writes views into one PostgreSQL store."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.Lock()
        self.store: Store | None = None

    def add(self, page: str, day: dt.date) -> None:
        """Add one view (raises :class:`StoreError` when the server does not answer)."""
        import psycopg

        with self.lock:
            try:
                if self.store is None:
                    self.store = Store(self.url)
                self.store.con.execute(_UPSERT, [day, page])
            except (StoreError, psycopg.Error) as exc:
                if self.store is not None:
                    self.store.close()  # the next view reconnects
                    self.store = None
                if isinstance(exc, StoreError):
                    raise
                raise StoreError(f"page view not written to the PostgreSQL store: {exc}") from exc


_store_views: dict[str, _StoreViews] = {}
_store_views_lock = threading.Lock()


def _views_of(store: Path | str) -> _StoreViews:
    url = store_url(store)
    with _store_views_lock:
        if url not in _store_views:
            _store_views[url] = _StoreViews(url)
        return _store_views[url]


def record_view(
    cache_dir: Path | str,
    page: str,
    day: dt.date | None = None,
    store: Path | str | None = None,
) -> None:
    """
    Count one view of ``page`` on ``day`` (default: today in Asia/Tokyo).

    On a PostgreSQL ``store`` the view is upserted into ``page_views`` directly; otherwise (or
    when that server does not answer) one line is appended to the day's log; if that fails
    (disk full, read-only folder), a warning is logged and the page is still served.

    Parameters
    ----------
    cache_dir
        The cache folder (``KAITEKI_CACHE_DIR``).
    page
        The page path, e.g. ``/map/flow`` (one line: no newline or tab).
    day
        The day to count the view on.
    store
        The store (``KAITEKI_STORE``); only a PostgreSQL one is written to directly.
    """
    if not page or any(c in page for c in "\r\n\t"):
        raise ValueError(f"a counted page must be a one-line path such as /map/flow; got {page!r}")
    day = day or dt.datetime.now(TZ).date()
    if store is not None and is_postgres_url(store):
        try:
            _views_of(store).add(page, day)
            return
        except StoreError as exc:
            log.warning("page view of %s kept in the log: the store did not answer (%s)", page, exc)
    folder = log_dir(cache_dir)
    line = (page + "\n").encode("utf-8")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(
            folder / f"{day.isoformat()}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
        )
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as exc:
        log.warning("page view of %s on %s not counted: %s", page, day, exc)


def _count_lines(raw: bytes) -> Counter[str]:
    return Counter(line for line in raw.decode("utf-8", errors="replace").split("\n") if line)


def _count_file(path: Path) -> Counter[str]:
    try:
        return _count_lines(path.read_bytes())
    except FileNotFoundError:  # folded and removed meanwhile
        return Counter()


def logged_views(cache_dir: Path | str) -> pd.DataFrame:
    """
    Daily views per page still in the logs (not yet folded into the store): ``day``, ``page``,
    ``views``, ``simulated`` (always false: views are real).
    """
    folder = log_dir(cache_dir)
    rows: list[tuple[dt.date, str, int]] = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            match = _LOG.match(path.name) or _FOLDING.match(path.name)
            if match is None:
                continue
            day = dt.date.fromisoformat(match.group(1))
            rows.extend((day, page, n) for page, n in _count_file(path).items())
    frame = pd.DataFrame(rows, columns=["day", "page", "views"])
    frame["simulated"] = False
    return frame


def stored_views(store: Store) -> pd.DataFrame:
    """Daily views per page folded into the store (empty before store migration 2)."""
    has_table = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'page_views'"
    ).fetchone()
    if not has_table or not has_table[0]:
        return pd.DataFrame(columns=COLUMNS)
    return store.query("SELECT day, page, views, simulated FROM page_views")


def combine(*frames: pd.DataFrame) -> pd.DataFrame:
    """Views of several sources summed per ``(day, page, simulated)``, sorted by day and page."""
    parts = [f[COLUMNS] for f in frames if not f.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    both = pd.concat(parts, ignore_index=True)
    both["day"] = pd.to_datetime(both["day"]).dt.date
    both["views"] = both["views"].astype("int64")
    both["simulated"] = both["simulated"].astype(bool)
    out = both.groupby(["day", "page", "simulated"], as_index=False)["views"].sum()
    return out[COLUMNS].sort_values(["day", "page"], ignore_index=True)


def daily_views(store_path: Path | str, cache_dir: Path | str) -> pd.DataFrame:
    """
    Daily views per page, the store's ``page_views`` and the logs together: ``day``, ``page``,
    ``views``, ``simulated``. Opens the store read-only (a missing store counts as empty).

    Raises
    ------
    sensors.errors.StoreError
        The store cannot be opened (e.g. another process holds it for writing).
    """
    logged = logged_views(cache_dir)
    if not store_exists(store_path):
        return combine(logged)
    with Store(store_path, read_only=True) as store:
        return combine(stored_views(store), logged)


def compact(
    store_path: Path | str,
    cache_dir: Path | str,
    today: dt.date | None = None,
    wait_s: float = 0.0,
) -> int:
    """
    Fold the page-view logs of the days before ``today`` (default: today in Asia/Tokyo) into
    the store's ``page_views`` table; today's log stays a log.

    Each log is first renamed (so that a view counted at that moment starts a new log), then
    folded in one transaction that also records it in ``files`` (kind ``page_views``, keyed by
    the SHA-256 of its unique name and content), then deleted. A fold interrupted at any point
    is completed by the next run without counting anything twice. Opening the store is retried
    for up to ``wait_s`` seconds while another process holds it.

    Returns
    -------
    int
        The number of views folded now.

    Raises
    ------
    sensors.errors.StoreError
        The store cannot be opened for writing (another process holds it).
    """
    today = today or dt.datetime.now(TZ).date()
    folder = log_dir(cache_dir)
    if not folder.is_dir():
        return 0
    for path in sorted(folder.iterdir()):
        match = _LOG.match(path.name)
        if match and dt.date.fromisoformat(match.group(1)) < today:
            path.rename(folder / f"{match.group(1)}.{uuid.uuid4().hex}.folding")
    pending = sorted(p for p in folder.iterdir() if _FOLDING.match(p.name))
    if not pending:
        return 0
    folded = 0
    with Store(store_path, wait_s=wait_s) as store:
        con = store.con
        for path in pending:
            raw = path.read_bytes()
            sha = hashlib.sha256(path.name.encode() + b"\n" + raw).hexdigest()
            seen = con.execute(
                "SELECT count(*) FROM files WHERE sha256 = ? AND kind = ?", [sha, FILE_KIND]
            ).fetchone()
            if not seen or not seen[0]:
                day = dt.date.fromisoformat(path.name[:10])
                counts = _count_lines(raw)
                total = sum(counts.values())
                con.execute("BEGIN TRANSACTION")
                try:
                    for page, n in sorted(counts.items()):
                        con.execute(
                            "INSERT INTO page_views (day, page, views, simulated) "
                            "VALUES (?, ?, ?, false) ON CONFLICT (day, page, simulated) "
                            "DO UPDATE SET views = page_views.views + excluded.views",
                            [day, page, n],
                        )
                    con.execute(
                        "INSERT INTO files (path, sha256, kind, rows_read, accepted, flagged, "
                        "quarantined, encoding) VALUES (?, ?, ?, ?, ?, 0, 0, 'utf-8')",
                        [str(path), sha, FILE_KIND, total, total],
                    )
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                folded += total
            path.unlink()
    return folded
