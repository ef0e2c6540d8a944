"""
Reading raw text files: encoding detection, header normalisation, delimiter sniffing.

Japanese open data comes in UTF-8 (with or without BOM) or Shift_JIS (cp932) with Japanese
headers. The helpers here detect the encoding, normalise header names (Unicode NFKC, trimmed,
BOM removed) and map known aliases to kaiteki's canonical column names, so that each adapter only
deals with canonical names.
"""

from __future__ import annotations

import csv
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sensors.errors import EncodingError, FileFormatError

#: Encodings tried in order when a file has no byte-order mark.
ENCODINGS: tuple[str, ...] = ("utf-8", "cp932")

#: Delimiters recognised by :func:`sniff_delimiter`, most common first.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 22) -> str:
    """
    SHA-256 of a file's bytes, as 64 lowercase hex digits.

    Parameters
    ----------
    path
        The file.
    chunk_bytes
        Read size (bytes).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


#: File name suffixes :func:`read_vector` parses as GeoJSON itself (every other goes to GDAL).
GEOJSON_SUFFIXES: tuple[str, ...] = (".geojson", ".json")

_GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def read_vector(path: str | Path) -> Any:
    """
    A vector file as a GeoDataFrame in the file's own CRS (EPSG:4326 for GeoJSON without one).

    GeoJSON (:data:`GEOJSON_SUFFIXES`) is parsed with :mod:`json` and shapely, so a process that
    reads only GeoJSON never loads GDAL (about 55 MB per API worker); any other format goes
    to :func:`geopandas.read_file`. As GDAL does, property values that are objects or arrays
    become JSON text, a legacy ``crs`` member is honoured and the geometry column comes last.

    Raises
    ------
    OSError, ValueError
        The file cannot be read, is not JSON, or its top level is not a FeatureCollection,
        a Feature or a geometry (callers add what the file should have been).
    """
    import geopandas as gpd

    p = Path(path)
    if p.suffix.lower() not in GEOJSON_SUFFIXES:
        return gpd.read_file(p)
    doc = json.loads(p.read_bytes())
    kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    elif kind == "Feature":
        features = [doc]
    elif kind in _GEOMETRY_TYPES:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise ValueError(
            f"the top level has type {kind!r}; GeoJSON needs a FeatureCollection (with a "
            "'features' list), a Feature or a geometry"
        )
    return _features_frame(features, _legacy_crs(doc) or "EPSG:4326")


def _features_frame(features: list[Any], crs: str) -> Any:
    import geopandas as gpd
    from shapely.geometry import shape

    geoms, rows = [], []
    for i, feat in enumerate(features):
        if not isinstance(feat, dict):
            raise ValueError(f"feature {i} is not a GeoJSON object: {feat!r:.60}")
        geom = feat.get("geometry")
        try:
            geoms.append(None if geom is None else shape(geom))
        except Exception as exc:  # shapely raises several types for a malformed geometry
            raise ValueError(f"feature {i}: bad geometry: {exc}") from exc
        props = feat.get("properties") or {}
        rows.append(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                for k, v in props.items()
            }
        )
    table = pd.DataFrame.from_records(rows, index=pd.RangeIndex(len(rows)))
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, index=table.index), crs=crs)


def _legacy_crs(doc: Any) -> str | None:
    """The CRS named by a 2008-style ``crs`` member (RFC 7946 dropped it; GDAL still reads it)."""
    crs = doc.get("crs") if isinstance(doc, dict) else None
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str) or name.upper().endswith("CRS84"):
        return None
    return name


def in_lonlat(gdf: Any) -> Any:
    """``gdf`` in EPSG:4326; a frame without a CRS is taken as EPSG:4326, as GeoJSON specifies."""
    return gdf.set_crs("EPSG:4326") if gdf.crs is None else gdf.to_crs("EPSG:4326")


def read_layer(path: str | Path, hint: str) -> Any:
    """
    A vector layer (GeoJSON or any OGR format) in EPSG:4326, or a clear error.

    Parameters
    ----------
    path
        The file.
    hint
        What the caller expects, said when the file is missing (e.g. "a GeoJSON of point
        features with a 'category' property").

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 (a layer without a CRS is taken as EPSG:4326, as GeoJSON specifies).

    Raises
    ------
    FileFormatError
        The file is missing or cannot be read as a vector layer.
    """
    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p.name} not found at {p}; pass {hint}")
    try:
        gdf = read_vector(p)
    except Exception as exc:  # json, shapely and GDAL raise several error types
        raise FileFormatError(f"{p.name}: cannot read as GeoJSON: {exc}") from exc
    return in_lonlat(gdf)


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def detect_encoding(data: bytes, name: str = "<bytes>") -> str:
    """
    The text encoding of ``data``: ``"utf-8-sig"``, ``"utf-8"`` or ``"cp932"``.

    Parameters
    ----------
    data
        The raw bytes (the whole file, so that a bad byte late in the file is found).
    name
        File name used in the error message.

    Raises
    ------
    EncodingError
        The bytes are neither UTF-8 nor Shift_JIS (cp932); the message names the line and byte
        offset where UTF-8 decoding failed.

    Examples
    --------
    >>> detect_encoding("気温".encode("cp932"))
    'cp932'
    >>> detect_encoding(b"\\xef\\xbb\\xbfa,b")
    'utf-8-sig'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError as exc:
            return _raise_encoding(data, name, exc)
    first: UnicodeDecodeError | None = None
    for enc in ENCODINGS:
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError as exc:
            first = first or exc
    assert first is not None
    return _raise_encoding(data, name, first)


def _raise_encoding(data: bytes, name: str, exc: UnicodeDecodeError) -> str:
    line = _line_of_offset(data, exc.start)
    nul = b"\x00" in data[:4096]
    hint = (
        "the file looks binary (NUL bytes), not a text table"
        if nul
        else "save the file as UTF-8 or Shift_JIS (cp932)"
    )
    raise EncodingError(
        f"{name}: line {line}: cannot decode byte {data[exc.start : exc.start + 1]!r} at "
        f"offset {exc.start}: expected UTF-8 or Shift_JIS (cp932) text; {hint}."
    )


def read_text(path: str | Path) -> tuple[str, str]:
    """
    Read a text file, detecting its encoding.

    Returns
    -------
    tuple of str
        The text (BOM removed, newlines kept) and the encoding used.

    Raises
    ------
    EncodingError
        Not UTF-8 or cp932 text.
    FileFormatError
        The file is empty.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise FileFormatError(f"{path.name}: the file is empty; expected a header line and rows.")
    enc = detect_encoding(data, path.name)
    return data.decode(enc), enc


def normalise_name(name: str) -> str:
    """
    Canonical form of a header: NFKC (full-width to half-width, ℃ to °C), trimmed, BOM removed.

    Examples
    --------
    >>> normalise_name("\\ufeff 気温(℃) ")
    '気温(°C)'
    """
    return unicodedata.normalize("NFKC", name.replace("\ufeff", "")).strip()


def alias_map(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """
    Lookup table from normalised (lower-case) alias to canonical name.

    Parameters
    ----------
    aliases
        Canonical name → accepted alternative spellings (the canonical name itself is always
        accepted).
    """
    out: dict[str, str] = {}
    for canonical, alts in aliases.items():
        for a in (canonical, *alts):
            out[normalise_name(a).lower()] = canonical
    return out


def canonical_columns(columns: Iterable[str], lookup: Mapping[str, str]) -> list[str]:
    """
    Rename headers to canonical names where known; unknown headers are kept normalised.

    Raises
    ------
    FileFormatError
        Two headers map to the same canonical name.
    """
    out: list[str] = []
    for c in columns:
        n = normalise_name(str(c))
        out.append(lookup.get(n.lower(), n))
    seen: set[str] = set()
    for c in out:
        if c in seen and c:
            raise FileFormatError(
                f"column {c!r} appears twice in the header (after normalising names); "
                "keep one column per field."
            )
        seen.add(c)
    return out


def sniff_delimiter(header_line: str, expected: Iterable[str], name: str = "<text>") -> str:
    """
    The delimiter of a CSV header line: the one that splits it into the most expected columns.

    Parameters
    ----------
    header_line
        The first line of the file.
    expected
        Normalised lower-case column names (aliases included) the file should contain.
    name
        File name for messages.

    Examples
    --------
    >>> sniff_delimiter("time;sensor_id;air_temp_c", {"time", "sensor_id"})
    ';'
    """
    exp = {e.lower() for e in expected}
    best, best_hits = ",", -1
    for d in DELIMITERS:
        parts = [normalise_name(p.strip('"')).lower() for p in header_line.split(d)]
        hits = sum(p in exp for p in parts)
        if hits > best_hits or (hits == best_hits and len(parts) > 1 and best_hits == 0):
            best, best_hits = d, hits
    return best


def read_dated_csv(
    path: str | Path, aliases: Mapping[str, Iterable[str]], required: Iterable[str]
) -> tuple[pd.DataFrame, str]:
    """
    Read a CSV whose first column is a date (the Sapporo daily open-data layout) as text.

    Parameters
    ----------
    path
        The file (UTF-8 or cp932).
    aliases
        Canonical name → accepted header spellings (Japanese headers included).
    required
        Canonical names that must be present.

    Returns
    -------
    pandas.DataFrame, str
        Every cell as text (``None`` when empty) under canonical names, with the first
        column renamed ``date_text`` and a ``line`` column (1-based physical line of the row),
        and the detected encoding.

    Raises
    ------
    EncodingError, FileFormatError
        Undecodable text, empty file, or a required column missing.
    """
    path = Path(path)
    text, enc = read_text(path)
    lines = text.splitlines()
    lookup = alias_map(aliases)
    delim = sniff_delimiter(lines[0], lookup.keys(), path.name)
    reader = csv.reader(lines, delimiter=delim)
    header = next(reader)
    cols = canonical_columns(header[1:], lookup)
    missing = [c for c in required if c not in cols]
    if missing:
        raise FileFormatError(
            f"{path.name}: line 1: missing column(s) {missing}; found {header!r} "
            f"(delimiter {delim!r}). Expected the Sapporo daily layout: first column the date, "
            f"then {sorted(set(required))}."
        )
    records: list[list[str | None]] = []
    line_no: list[int] = []
    width = len(header)
    for i, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        row = row + [""] * (width - len(row)) if len(row) < width else row
        records.append([c.strip() or None for c in row[:width]] + [" | ".join(row[width:]) or None])
        line_no.append(i)
    frame = pd.DataFrame(records, columns=["date_text", *cols, "_extra"], dtype=object)
    frame["line"] = line_no
    return frame, enc
