"""
A SensorThings API client that collects Things, Datastreams and Observations from any
SensorThings server into the store (``kaiteki collect sensorthings URL``; docs/SENSORTHINGS.md,
"Client").

It reads ``Things?$expand=Locations`` and ``Datastreams?$expand=Thing,ObservedProperty``, maps
each ObservedProperty to a kaiteki variable by the mapping table
(:mod:`sensors.sta.vocabulary`), and for every mapped Datastream pages through
``Datastreams(id)/Observations?$filter=phenomenonTime gt <cursor>&$orderby=phenomenonTime asc``
following ``@iot.nextLink`` (a link seen twice is a loop: the Datastream stops there with an
error). Observations become rows of the ordinary ingest (:func:`sensors.ingest.ingest_records`):
one thermal row per Thing and time (its variables merged), one count per observation; the same
QC runs, and a bad observation (no time, a result that is not a number) is quarantined with the
reason. The last phenomenonTime stored per Datastream is kept in ``sta_cursors`` so the next run
resumes there. Time-outs, connection errors and 5xx answers are retried with exponential
backoff; a 4xx is not retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import pandas as pd

from comfort.qcflags import QCFlag
from sensors.ingest import ingest_records
from sensors.sta.errors import StaClientError
from sensors.sta.vocabulary import Vocabulary, vocabulary

#: Observations asked for per page.
PAGE_SIZE = 1_000

#: Most pages followed for one collection (a server that never ends is a loop too).
MAX_PAGES = 100_000

CURSORS_DDL = """
CREATE TABLE IF NOT EXISTS sta_cursors (
    server     TEXT NOT NULL,
    datastream TEXT NOT NULL,
    last_time  TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (server, datastream)
)
"""


class HttpClient(Protocol):
    """What the client needs of an HTTP client: ``httpx.Client`` or FastAPI's TestClient."""

    @property
    def get(self) -> Callable[..., Any]:
        """``get(url, params=...)`` answering a response (status_code, json(), text)."""


@dataclass
class CollectReport:
    """What one collection did (``kaiteki collect sensorthings --json`` prints it)."""

    server: str
    things: int = 0
    datastreams: int = 0
    mapped: int = 0
    observations: int = 0
    pages: int = 0
    retries: int = 0
    accepted: int = 0
    flagged: int = 0
    quarantined: int = 0
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return dict(self.__dict__)


class Fetcher:
    """
    GET JSON with time-outs, retries with exponential backoff on 5xx, time-outs and connection
    errors, and ``@iot.nextLink`` paging with loop detection.

    Parameters
    ----------
    client
        The HTTP client (its ``timeout`` applies to each request).
    retries
        Attempts after the first for one request.
    backoff_s
        First pause (s); doubled after each failure.
    sleep
        The pause function (tests pass one that records instead of sleeping).
    """

    def __init__(
        self, client: HttpClient, retries: int = 4, backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self.client = client
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.retried = 0
        self.pages = 0

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """
        One JSON object.

        Raises
        ------
        StaClientError
            A 4xx, a 5xx or time-out that outlived the retries, or a body that is not a JSON
            object.
        """
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.retried += 1
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                resp = self.client.get(url, params=params)
            except httpx.TimeoutException:
                problem = "timed out"
                continue
            except httpx.TransportError as exc:
                problem = f"connection failed ({exc})"
                continue
            if resp.status_code >= 500:
                problem = f"answered {resp.status_code}"
                continue
            if resp.status_code >= 400:
                raise StaClientError(
                    f"{resp.request.url} answered {resp.status_code}: {resp.text[:300]}. Check "
                    "the URL (the service root, e.g. https://host/FROST-Server/v1.1)."
                )
            try:
                body = resp.json()
            except ValueError:
                raise StaClientError(
                    f"{resp.request.url} did not answer JSON (starts {resp.text[:80]!r})."
                ) from None
            if not isinstance(body, dict):
                raise StaClientError(f"{resp.request.url} answered JSON that is not an object.")
            return body
        raise StaClientError(
            f"{url} {problem} {self.retries + 1} times (backoff from {self.backoff_s:g} s); "
            "the server may be down: try again later or raise --retries."
        )

    def pages_of(self, url: str, params: dict[str, str] | None = None) -> Iterator[list[Any]]:
        """
        The ``value`` list of each page of a collection, following ``@iot.nextLink``.

        Raises
        ------
        StaClientError
            A next link already followed (a loop), more than :data:`MAX_PAGES` pages, or a page
            without a ``value`` list.
        """
        seen: set[str] = set()
        next_url: str | None = url
        first = True
        while next_url is not None:
            body = self.get(next_url, params if first else None)
            first = False
            self.pages += 1
            values = body.get("value")
            if not isinstance(values, list):
                raise StaClientError(f"{next_url}: the page has no 'value' list.")
            yield values
            link = body.get("@iot.nextLink")
            if link is None:
                return
            if not isinstance(link, str) or link in seen or link == url:
                raise StaClientError(
                    f"{next_url}: @iot.nextLink {link!r} was already followed (a page loop); "
                    "stopped there. Report it to the server's operator."
                )
            if len(seen) >= MAX_PAGES:
                raise StaClientError(f"{url}: more than {MAX_PAGES} pages; stopped.")
            seen.add(link)
            next_url = link


def parse_period(value: Any) -> tuple[pd.Timestamp, pd.Timestamp | None] | None:
    """
    A phenomenonTime (an instant or ``start/end``) as timestamps; None when unreadable.

    Examples
    --------
    >>> parse_period("2022-08-01T00:00:00Z/2022-08-01T01:00:00Z")[1].hour
    1
    >>> parse_period("yesterday") is None
    True
    """
    if not isinstance(value, str) or not value:
        return None
    parts = value.split("/")
    try:
        stamps = [pd.Timestamp(p) for p in parts]
    except (ValueError, TypeError):
        return None
    if len(stamps) > 2 or any(s.tzinfo is None for s in stamps):
        return None
    return stamps[0], (stamps[1] if len(stamps) == 2 else None)


@dataclass
class Stream:
    """A mapped Datastream: where its observations go."""

    ds_id: str
    url: str
    table: str
    variable: str
    key: str
    extra: dict[str, Any]
    simulated: bool


def _props(entity: Any) -> dict[str, Any]:
    props = entity.get("properties") if isinstance(entity, dict) else None
    return props if isinstance(props, dict) else {}


def _key(thing: dict[str, Any], table: str) -> str:
    label = {"readings": "sensor_id", "counts": "line_id", "dwell": "zone_id"}[table]
    value = _props(thing).get(label) or thing.get("name") or thing.get("@iot.id")
    return str(value)


class Collector:
    """
    One collection run from ``base_url`` into ``store``.

    Parameters
    ----------
    store
        The open store (read-write).
    base_url
        The service root (``.../v1.1``).
    fetcher
        The HTTP fetcher.
    voc
        The ObservedProperty mapping (default: the shipped table).
    since
        Collect only observations after this time (the stored cursor wins when later).
    area
        Planning area for the outside-area QC test (as :func:`sensors.ingest.ingest_records`).
    """

    def __init__(
        self, store: Any, base_url: str, fetcher: Fetcher, voc: Vocabulary | None = None,
        since: Any = None, area: Any = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.base = base_url.rstrip("/")
        self.fetcher = fetcher
        self.voc = voc or vocabulary()
        self.since = None if since is None else _aware(pd.Timestamp(since))
        self.area = area
        self.report = CollectReport(server=self.base)
        store.con.execute(CURSORS_DDL)

    def run(self) -> CollectReport:
        """Collect everything new; errors of one Datastream are reported, the others go on."""
        things = self._all("Things", {"$expand": "Locations", "$top": str(PAGE_SIZE)})
        self.report.things = len(things)
        streams = self._streams(things)
        self._registry(things, streams)
        by_thing: dict[tuple[str, str], list[Stream]] = {}
        for s in streams:
            by_thing.setdefault((s.table, s.key), []).append(s)
        for (table, key), group in sorted(by_thing.items()):
            self._collect_group(table, key, group)
        self.report.pages = self.fetcher.pages
        self.report.retries = self.fetcher.retried
        return self.report

    def _all(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in self.fetcher.pages_of(f"{self.base}/{path}", params):
            out.extend(v for v in page if isinstance(v, dict))
        return out

    def _nav(self, entity: dict[str, Any], name: str) -> dict[str, Any] | None:
        got = entity.get(name)
        if isinstance(got, dict):
            return got
        link = entity.get(f"{name}@iot.navigationLink")
        if isinstance(link, str):
            return self.fetcher.get(link)
        return None

    def _streams(self, things: list[dict[str, Any]]) -> list[Stream]:
        params = {"$expand": "Thing,ObservedProperty", "$top": str(PAGE_SIZE)}
        datastreams = self._all("Datastreams", params)
        self.report.datastreams = len(datastreams)
        by_id = {str(t.get("@iot.id")): t for t in things}
        out = []
        for ds in datastreams:
            ds_id = str(ds.get("@iot.id"))
            op, thing = self._nav(ds, "ObservedProperty"), self._nav(ds, "Thing")
            if op is None or thing is None:
                self.report.skipped.append(f"Datastreams({ds_id}): no Thing or ObservedProperty")
                continue
            thing = by_id.get(str(thing.get("@iot.id")), thing)
            var = self.voc.match(op.get("definition"), op.get("name"))
            if var is None:
                self.report.skipped.append(
                    f"Datastreams({ds_id}): ObservedProperty {op.get('name')!r} "
                    f"({op.get('definition')}) is not in the mapping table; add it to a "
                    "--mapping file to collect it"
                )
                continue
            props = _props(ds)
            extra = {"direction": props.get("direction") or "both",
                     "series": props.get("series") or "sta",
                     "statistic": props.get("statistic") or "total"}  # fmt: skip
            sim = bool(props.get("simulated") or _props(thing).get("simulated"))
            url = ds.get("@iot.selfLink") or f"{self.base}/Datastreams({ds_id})"
            out.append(Stream(ds_id, str(url), var.table, var.variable,
                              _key(thing, var.table), extra, sim))  # fmt: skip
        self.report.mapped = len(out)
        return out

    def _registry(self, things: list[dict[str, Any]], streams: list[Stream]) -> None:
        """Register the thermal Things with a Location as sensors (kind ``sensors``)."""
        thermal = {s.key for s in streams if s.table == "readings"}
        records = []
        for t in things:
            key = _key(t, "readings")
            locs = t.get("Locations")
            if key not in thermal or not isinstance(locs, list) or not locs:
                continue
            loc = locs[0].get("location") if isinstance(locs[0], dict) else None
            coords = loc.get("coordinates") if isinstance(loc, dict) else None
            if not (isinstance(coords, list) and len(coords) >= 2):
                continue
            p = _props(t)
            records.append({
                "sensor_id": key, "kind": p.get("kind") or "fixed", "lat": coords[1],
                "lon": coords[0], "level": p.get("level", 0), "height_m": p.get("height_m"),
                "globe_diameter_m": p.get("globe_diameter_m"), "installed": p.get("installed"),
                "name": t.get("name"), "simulated": bool(p.get("simulated")),
            })  # fmt: skip
        if records:
            result = ingest_records(self.store, "sensors", records, f"sta:{self.base}/Things")
            self.report.quarantined += result.quarantined

    def _cursor(self, ds_id: str) -> pd.Timestamp | None:
        rows = self.store.con.execute(
            "SELECT last_time FROM sta_cursors WHERE server = ? AND datastream = ?",
            [self.base, ds_id],
        ).fetchall()
        last = _aware(pd.Timestamp(rows[0][0])) if rows else None
        if self.since is not None and (last is None or self.since > last):
            return self.since
        return last

    def _observations(self, s: Stream) -> list[dict[str, Any]]:
        params = {"$orderby": "phenomenonTime asc", "$top": str(PAGE_SIZE)}
        start = self._cursor(s.ds_id)
        if start is not None:
            iso = start.tz_convert("UTC").isoformat().replace("+00:00", "Z")
            params["$filter"] = f"phenomenonTime gt {iso}"
        seen: set[Any] = set()
        out: list[dict[str, Any]] = []
        try:
            for page in self.fetcher.pages_of(f"{s.url}/Observations", params):
                for obs in page:
                    oid = obs.get("@iot.id") if isinstance(obs, dict) else None
                    if oid is not None and oid in seen:
                        continue
                    seen.add(oid)
                    out.append(obs if isinstance(obs, dict) else {"result": obs})
        except StaClientError as exc:
            self.report.errors.append(f"Datastreams({s.ds_id}): {exc}")
        self.report.observations += len(out)
        return out

    def _collect_group(self, table: str, key: str, streams: list[Stream]) -> None:
        records: list[dict[str, Any]] = []
        merged: dict[str, dict[str, Any]] = {}
        last: dict[str, pd.Timestamp] = {}
        for s in streams:
            for obs in self._observations(s):
                rec = self._record(s, obs)
                period = parse_period(obs.get("phenomenonTime"))
                if period is not None:
                    last[s.ds_id] = max(last.get(s.ds_id, period[0]), period[0])
                if table == "readings" and period is not None:
                    row = merged.setdefault(str(period[0].value), {
                        "time": rec["time"], "sensor_id": key, "simulated": False,
                        **{v.variable: None for v in self.voc.of_table("readings")},
                    })  # fmt: skip
                    row[s.variable] = rec[s.variable]
                    row["simulated"] = row["simulated"] or rec["simulated"]
                else:
                    records.append(rec)
        if table == "readings":
            records = [merged[k] for k in sorted(merged, key=int)] + records
        if records:
            kind = {"readings": "readings", "counts": "counts", "dwell": "dwell"}[table]
            result = ingest_records(
                self.store, kind, records, f"sta:{self.base} {table} {key}", area=self.area
            )
            self.report.accepted += result.accepted
            self.report.flagged += result.flagged
            self.report.quarantined += result.quarantined
        for ds_id, t in last.items():
            self.store.con.execute(
                "INSERT INTO sta_cursors (server, datastream, last_time, updated_at) "
                "VALUES (?, ?, ?, current_timestamp) ON CONFLICT (server, datastream) DO UPDATE "
                "SET last_time = excluded.last_time, updated_at = excluded.updated_at",
                [self.base, ds_id, t.to_pydatetime()],
            )

    def _record(self, s: Stream, obs: dict[str, Any]) -> dict[str, Any]:
        """One ingest record of an observation (bad values left for ingest to quarantine)."""
        raw = obs.get("parameters")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        simulated = bool(s.simulated or params.get("simulated"))
        period = parse_period(obs.get("phenomenonTime"))
        result = obs.get("result")
        if isinstance(result, (dict, list)):
            result = str(result)
        when: Any = obs.get("phenomenonTime") if period is None else period[0].isoformat()
        if s.table == "readings":
            return {"time": when, "sensor_id": s.key, s.variable: result, "simulated": simulated}
        interval = None
        if period is not None and period[1] is not None:
            interval = round((period[1] - period[0]).total_seconds() / 60)
        flags = params.get("qc_flags")
        est = isinstance(flags, int) and bool(flags & QCFlag.ESTIMATED)
        rec = {"time": when, "interval_min": interval, s.variable: result, "simulated": simulated,
               "series": s.extra["series"], "estimated": est}  # fmt: skip
        if s.table == "counts":
            rec.update(line_id=s.key, direction=s.extra["direction"],
                       statistic=s.extra["statistic"])  # fmt: skip
        else:
            rec["zone_id"] = s.key
        return rec


def _aware(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("Asia/Tokyo") if ts.tzinfo is None else ts


def collect_sensorthings(
    store: Any, base_url: str, *, since: Any = None, voc: Vocabulary | None = None,
    client: HttpClient | None = None, timeout_s: float = 30.0, retries: int = 4,
    backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep, area: Any = None,
) -> CollectReport:  # fmt: skip
    """
    Collect a SensorThings server's Things, Datastreams and Observations into ``store``.

    Parameters
    ----------
    store
        The open store (read-write).
    base_url
        The service root, e.g. ``http://host:8000/sta/v1.1``.
    since
        Only observations after this time (naive: Asia/Tokyo); the stored cursor of a
        Datastream wins when later.
    voc
        The ObservedProperty mapping (:func:`sensors.sta.vocabulary.load_vocabulary`).
    client
        An HTTP client to use (tests pass a mock transport or FastAPI's TestClient).
    timeout_s
        Time-out (s) of each request of a client made here.
    retries, backoff_s, sleep
        Retry policy (:class:`Fetcher`).
    area
        Planning area for the outside-area QC test.

    Raises
    ------
    StaClientError
        The Things or Datastreams could not be read (the Observations of one Datastream failing
        is reported in :attr:`CollectReport.errors` instead).
    """
    if client is not None:
        fetcher = Fetcher(client, retries=retries, backoff_s=backoff_s, sleep=sleep)
        return Collector(store, base_url, fetcher, voc, since, area).run()
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as http:
        fetcher = Fetcher(http, retries=retries, backoff_s=backoff_s, sleep=sleep)
        return Collector(store, base_url, fetcher, voc, since, area).run()
