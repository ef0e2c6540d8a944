"""
Casting text to typed columns in one DuckDB query, with the reason each bad field is bad.

Every value is checked before the database sees it: numbers must parse and be finite, whole
numbers must fit the SQL type of the column they are stored in (:class:`CastRules`), timestamps
must be within 1900-01-01 and now + 1 day with a UTC offset within ±14:00, and the special
words DuckDB would accept (``epoch``, ``infinity``) are refused. A row with a bad field is
quarantined with the reason; it never reaches the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from sensors.tables import Col, Spec

#: Earliest accepted timestamp or date (older ones are quarantined).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)

#: How far past the ingest time a timestamp may be before it is quarantined (later ones are
#: quarantined; those within it but past the QC tolerance are flagged ``future``).
LATEST_AHEAD = timedelta(days=1)

#: The widest UTC offset accepted: ±14:00, the widest in use (Kiribati).
MAX_OFFSET = "14:00"

#: Value range of the SQL integer types (inclusive).
INT_RANGES: dict[str, tuple[int, int]] = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
    "UTINYINT": (0, 2**8 - 1),
    "USMALLINT": (0, 2**16 - 1),
    "UINTEGER": (0, 2**32 - 1),
    "UBIGINT": (0, 2**64 - 1),
}

_MISSING_TOKENS = frozenset({"nan", "na", "n/a", "null", "none", "-"})
_TRUE = ("'true'", "'t'", "'1'", "'yes'", "'y'")
_FALSE = ("'false'", "'f'", "'0'", "'no'", "'n'")
_OUT_OF_RANGE = "\x01"  # prefix of a failing field's text: parsed, but out of range
_BAD_OFFSET = "\x02"  # prefix: a timestamp whose UTC offset is beyond ±14:00

_REASONS = {
    "double": "expected a number, got {!r}",
    "int": "expected a whole number, got {!r}",
    "time": "expected an ISO 8601 timestamp (e.g. 2022-01-05T14:00:00+09:00), got {!r}",
    "fitbit_time": "expected M/D/YY H:MM or M/D/YYYY h:mm:ss AM/PM, got {!r}",
    "date": "expected a date YYYY-MM-DD, got {!r}",
    "bool": "expected true/false, got {!r}",
}

#: Types whose DuckDB cast skips ASCII whitespace around the value: they are cast from the
#: untrimmed text first (``trim`` is costly on a million rows) and from the trimmed text only
#: when that fails, which gives the value the trimmed text alone would give (``trim`` removes
#: only spaces, which the cast skips too, and Unicode spaces, on which the untrimmed cast fails).
_CAST_SKIPS_SPACE = frozenset({"double", "int"})


@dataclass(frozen=True)
class CastRules:
    """
    Limits a batch's values must meet to be stored.

    ``int_types`` maps a number column to the SQL integer type it is stored in (its value must
    fit); ``now`` is the ingest time (timestamps later than ``now + LATEST_AHEAD`` are
    refused).
    """

    now: datetime
    int_types: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def at(cls, now_us: int, int_types: Mapping[str, str] | None = None) -> CastRules:
        """Rules for a batch ingested at ``now_us`` (µs since the epoch)."""
        return cls(datetime.fromtimestamp(now_us / 1e6, tz=UTC), dict(int_types or {}))

    @property
    def latest(self) -> datetime:
        """The latest accepted timestamp."""
        return self.now + LATEST_AHEAD

    def bounds(self, col: str) -> tuple[int, int, str] | None:
        """(low, high, SQL type) a number column must fit, or None."""
        t = self.int_types.get(col)
        return (*INT_RANGES[t], t) if t in INT_RANGES else None


def sql_str(s: str) -> str:
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def _parse_sql(col: Col, r: str) -> str:
    """SQL parsing the trimmed text ``r`` of one column to its type (NULL when it fails)."""
    if col.type == "text":
        return r
    if col.type == "double":
        return f"TRY_CAST({r} AS DOUBLE)"
    if col.type == "int":
        return f"TRY_CAST({r} AS BIGINT)"
    if col.type == "time":
        return f"TRY_CAST({r} AS TIMESTAMPTZ)"
    if col.type == "fitbit_time":
        fmts = "['%m/%d/%y %H:%M', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %H:%M']"
        return (
            f"coalesce(CAST(try_strptime({r}, {fmts}) AS TIMESTAMPTZ), "
            f"TRY_CAST({r} AS TIMESTAMPTZ))"
        )
    if col.type == "date":
        return f"TRY_CAST({r} AS DATE)"
    # bool: a CASE on the lowered text (an IN list would become a join)
    arms = [f"WHEN {t} THEN true" for t in _TRUE] + [f"WHEN {f} THEN false" for f in _FALSE]
    return f"CASE lower({r}) {' '.join(arms)} END"


def _offset_sql(r: str) -> str:
    """
    True where the text ends in a UTC offset (±HH:MM, ±HHMM, ±HH) beyond ±14:00.

    Offsets are compared as text (digits sort like numbers), which is much cheaper than
    parsing them; Japan's ``+09:00`` is settled by the first test, and a time without an offset
    (``...T10:00:00``) ends in ``:MM:SS`` and passes.
    """
    r = f"({r})"  # a constant such as NULL::VARCHAR must not read as an array type
    o6, hh, mm = f"right({r}, 6)", MAX_OFFSET[:2], MAX_OFFSET[3:]
    return (
        f"CASE WHEN ends_with({r}, '+09:00') THEN false "
        f"WHEN {r}[-3] = ':' THEN ({r}[-6] = '+' AND {o6} > '+{MAX_OFFSET}') "
        f"OR ({r}[-6] = '-' AND {o6} > '-{MAX_OFFSET}') "
        f"WHEN {r}[-5] IN ('+', '-') THEN contains({r}, ':') AND right({r}, 4) > '{hh}{mm}' "
        f"WHEN {r}[-3] IN ('+', '-') THEN contains({r}, ':') AND right({r}, 2) > '{hh}' "
        "ELSE false END"
    )


def _failure_sql(col: Col, p: str, r: str, rules: CastRules) -> str | None:
    """
    SQL giving, for a bad field, its trimmed text (prefixed by a code when it parsed but is out
    of range), and NULL for a good one; None when the column cannot fail.
    """
    if col.type == "text":
        return f"CASE WHEN {r} IS NULL THEN '' END" if col.required else None
    # the text is looked at only where the value is NULL
    on_null = f"{r} IS NOT NULL" if not col.required else "true"
    arms = [f"WHEN {p} IS NULL THEN CASE WHEN {on_null} THEN coalesce({r}, '') END"]
    if col.type == "double":
        arms.append(f"WHEN isinf({p}) THEN {r}")
    bounds = rules.bounds(col.name)
    if bounds is not None and col.type == "int":
        arms.append(f"WHEN {p} < {bounds[0]} OR {p} > {bounds[1]} THEN chr(1) || {r}")
    elif bounds is not None and col.type == "double":  # stored as a whole number
        arms.append(
            f"WHEN {p} < {float(bounds[0])!r} OR {p} >= {float(bounds[1]) + 1.0!r} "
            f"THEN chr(1) || {r}"
        )
    if col.type in ("time", "fitbit_time", "date"):
        # DuckDB reads 'epoch', 'infinity' and '-infinity' as times: a time starts with a digit
        arms.append(f"WHEN NOT (({r})[1] BETWEEN '0' AND '9') THEN {r}")
        if col.type == "date":
            lo = f"DATE '{EARLIEST.date().isoformat()}'"
            hi = f"DATE '{rules.latest.date().isoformat()}'"
        else:
            lo = f"TIMESTAMPTZ '{EARLIEST.isoformat()}'"
            hi = f"TIMESTAMPTZ '{rules.latest.isoformat()}'"
        arms.append(f"WHEN {p} < {lo} OR {p} > {hi} THEN chr(1) || {r}")
        if col.type == "time":
            arms.append(f"WHEN {_offset_sql(r)} THEN chr(2) || {r}")
    return f"CASE {' '.join(arms)} END"


def select_sql(
    spec: Spec,
    present: Mapping[str, str],
    from_sql: str,
    rules: CastRules,
    typed: frozenset[str] = frozenset(),
) -> str:
    """
    Cast text columns to typed ones in one scan.

    Each column's text is trimmed, empty text is NULL, then the text is parsed to the column's
    type. Besides the typed columns the query returns ``_x``: NULL for a row where every column
    is good, else a list with, for each column in spec order, the trimmed text when it is bad
    (``''`` when a required value is empty) or NULL; :func:`mark_bad` turns it into
    ``_bad_field``/``_bad_reason``. A parsed NaN is returned as NULL (a missing value).

    ``typed`` names number columns the CSV reader already typed as DOUBLE (``present`` gives
    their source expression); they are only checked to be finite (``_nonfinite``).

    The query has four levels so that every expression is evaluated once per row, and the
    trimmed text of number columns is computed only for rows whose untrimmed text did not
    parse (see :data:`_CAST_SKIPS_SPACE`). A column absent from the source is a constant (its
    default or NULL) that DuckDB folds.
    """
    level1, level2, level3, outer, xs = [], [], [], [], []
    raw: dict[str, str] = {}
    for col in spec.cols:
        src = present.get(col.name)
        if col.name in typed:
            level1.append(f"{src} AS p_{col.name}")
            continue
        if src is None:  # a constant: folded by the optimiser
            raw[col.name] = (
                f"{sql_str(col.default)}::VARCHAR" if col.default is not None else "NULL::VARCHAR"
            )
            continue
        if col.type in _CAST_SKIPS_SPACE:  # trimmed lazily: only where the cast fails
            level1.append(f"{src} AS s_{col.name}")
            src = f"s_{col.name}"
        t = f"nullif(trim({src}), '')"
        if col.default is not None:
            t = f"coalesce({t}, {sql_str(col.default)})"
        if col.type in _CAST_SKIPS_SPACE:
            raw[col.name] = t
        else:
            level1.append(f"{t} AS r_{col.name}")
            raw[col.name] = f"r_{col.name}"
    for col in spec.cols:
        if col.type == "text" or col.name in typed:
            continue
        r = raw[col.name]
        p = _parse_sql(col, r)
        if col.type == "int":  # accept "3.0"
            p = f"coalesce({p}, TRY_CAST(TRY_CAST({r} AS DOUBLE) AS BIGINT))"
        if col.type in _CAST_SKIPS_SPACE and col.name in present:
            fast = _parse_sql(col, f"s_{col.name}")
            if col.type == "int":
                fast = f"coalesce({fast}, TRY_CAST(TRY_CAST(s_{col.name} AS DOUBLE) AS BIGINT))"
            p = f"coalesce({fast}, {p})"
        level2.append(f"{p} AS p_{col.name}")
    for col in spec.cols:
        p = raw[col.name] if col.type == "text" else f"p_{col.name}"
        if col.name in typed:  # finite: checked with _nonfinite
            outer.append(f"{p} AS {col.name}")
            xs.append("NULL::VARCHAR")
            continue
        if col.type == "double":  # NaN is a missing value: store NULL
            outer.append(f"CASE WHEN NOT isnan({p}) THEN {p} END AS {col.name}")
        else:
            outer.append(f"{p} AS {col.name}")
        fail = _failure_sql(col, p, raw[col.name], rules)
        if fail is None:
            xs.append("NULL::VARCHAR")
            continue
        level3.append(f"{fail} AS x_{col.name}")
        xs.append(f"x_{col.name}")
    checked = [x for x in xs if x != "NULL::VARCHAR"]
    if checked:
        any_bad = " OR ".join(f"{x} IS NOT NULL" for x in checked)
        outer.append(f"CASE WHEN {any_bad} THEN [{', '.join(xs)}] END AS _x")
    else:
        outer.append("NULL::VARCHAR[] AS _x")
    if typed:
        finite = " AND ".join(f"coalesce(isfinite(p_{c}), true)" for c in sorted(typed))
        outer.append(f"NOT ({finite}) AS _nonfinite")
    tcol = next((c for c in spec.cols if c.type == "time" and c.name in present), None)
    if tcol is not None:
        r = raw[tcol.name]
        # the most common form first: DuckDB evaluates an OR's later terms only where the
        # earlier ones are not true
        outer.append(
            f"({r} LIKE '%+__:__' OR {r} LIKE '%Z' OR {r} LIKE '%z' OR {r} LIKE '%-__:__' "
            f"OR {r} LIKE '%+____' OR {r} LIKE '%T%-____') AS _tz_explicit"
        )
    sql1 = f"SELECT {', '.join(level1) or '1 AS _one'} FROM {from_sql}"
    sql2 = f"SELECT *{''.join(', ' + x for x in level2)} FROM ({sql1})"
    sql3 = f"SELECT *{''.join(', ' + x for x in level3)} FROM ({sql2})"
    return f"SELECT {', '.join(outer)} FROM ({sql3})"


def _reason(col: Col, txt: str, rules: CastRules) -> str | None:
    """Why the text ``txt`` of ``col`` cannot be stored (None: an optional missing value)."""
    if txt.startswith(_BAD_OFFSET):
        return f"{txt[1:]!r} has a UTC offset beyond ±14:00; fix the offset (e.g. +09:00 for Japan)"
    if txt.startswith(_OUT_OF_RANGE):
        txt = txt[1:]
        if col.type in ("time", "fitbit_time", "date"):
            return (
                f"{txt!r} is outside the accepted time range {EARLIEST.date()} to "
                f"{rules.latest:%Y-%m-%d %H:%M} UTC (now + 1 day); fix the date or the "
                "device clock"
            )
        return _range_reason(col, txt, rules)
    if txt == "" and col.required:
        return "missing value in a required field"
    if col.type in ("double", "int") and txt.lower() in _MISSING_TOKENS:
        return f"missing value ({txt!r}) in a required field" if col.required else None
    if col.type == "int" and rules.bounds(col.name) is not None:
        try:
            v = float(txt)
        except ValueError:
            v = float("nan")
        if np.isfinite(v) and v == int(v):  # a whole number too large for BIGINT
            return _range_reason(col, txt, rules)
    return _REASONS[col.type].format(txt)


def _range_reason(col: Col, txt: str, rules: CastRules) -> str:
    bounds = rules.bounds(col.name)
    assert bounds is not None
    lo, hi, sql_type = bounds
    return (
        f"{txt!r} is out of range for {col.name} (stored as {sql_type}: {lo:,} to {hi:,}); "
        "fix the value"
    )


def mark_bad(spec: Spec, table: pa.Table, rules: CastRules) -> pa.Table:
    """Replace the ``_x`` column by ``_bad_field`` and ``_bad_reason`` (first problem wins)."""
    n = table.num_rows
    x = table.column("_x")
    out = table.drop_columns(["_x"])
    if x.null_count == n:
        return out.append_column("_bad_field", pa.nulls(n, pa.string())).append_column(
            "_bad_reason", pa.nulls(n, pa.string())
        )
    bad_field: list[str | None] = [None] * n
    bad_reason: list[str | None] = [None] * n
    idx = np.flatnonzero(x.is_valid().to_numpy(zero_copy_only=False))
    for i, texts in zip(idx.tolist(), x.take(pa.array(idx)).to_pylist(), strict=True):
        for col, txt in zip(spec.cols, texts, strict=True):
            if txt is None:
                continue
            reason = _reason(col, txt, rules)
            if reason is None:
                continue
            bad_field[i], bad_reason[i] = col.name, reason
            break
    out = out.append_column("_bad_field", pa.array(bad_field, type=pa.string()))
    return out.append_column("_bad_reason", pa.array(bad_reason, type=pa.string()))
