"""
Walking courses: a replaceable data file of named routes through real places.

``sensors/data/courses.json`` holds the embedded courses: each an ``id``, a routing ``mode``
(``shortest`` or ``winter``), ``name`` and ``description`` in Japanese and English, and ordered
``waypoints`` (``lon``/``lat`` in WGS 84 with bilingual names). The route itself is not stored:
the app computes it on the walking graph through the waypoints, so a course follows the network
it is shown on.

Also here: the documented step and energy estimates shown on a course page, and a course routed
through its waypoints (:func:`course_route`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sensors.errors import CourseError

if TYPE_CHECKING:
    from comfort import routing

#: The embedded course file.
COURSES_FILE = Path(__file__).resolve().parent / "data" / "courses.json"

#: Routing modes a course may ask for.
COURSE_MODES = ("shortest", "winter")

#: Mean adult step length (m) used for step estimates (the routing layer uses the same figure).
STEP_LENGTH_M = 0.7

#: Metabolic equivalent of walking 2.8–3.2 mph on a level, firm surface (Compendium of
#: Physical Activities 2011, code 17190).
WALKING_MET = 3.5

#: Body mass (kg) assumed for the energy estimate.
BODY_MASS_KG = 60.0

# Bounds of downtown Sapporo used to catch swapped or mistyped coordinates.
_LON = (141.30, 141.40)
_LAT = (43.03, 43.10)


@dataclass(frozen=True)
class Waypoint:
    """A real place a course passes, in WGS 84 degrees."""

    name_en: str
    name_ja: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Course:
    """One walking course; names and descriptions in both languages."""

    course_id: str
    mode: str
    name_en: str
    name_ja: str
    description_en: str
    description_ja: str
    waypoints: tuple[Waypoint, ...]

    def name(self, lang: str) -> str:
        """The course name in ``lang`` (``ja`` or ``en``)."""
        return self.name_ja if lang == "ja" else self.name_en

    def description(self, lang: str) -> str:
        """The course description in ``lang`` (``ja`` or ``en``)."""
        return self.description_ja if lang == "ja" else self.description_en


def _text(entry: dict[str, Any], key: str, where: str) -> tuple[str, str]:
    value = entry.get(key)
    if not isinstance(value, dict) or not value.get("en") or not value.get("ja"):
        raise CourseError(
            f"{where}: '{key}' must be an object with non-empty 'en' and 'ja' texts; "
            f"got {value!r}. Add both languages."
        )
    return str(value["en"]), str(value["ja"])


def _waypoint(raw: Any, where: str) -> Waypoint:
    if not isinstance(raw, dict):
        raise CourseError(f"{where}: a waypoint must be an object; got {raw!r}")
    name_en, name_ja = _text(raw, "name", where)
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
    except (KeyError, TypeError, ValueError):
        raise CourseError(
            f"{where}: waypoint {name_en!r} needs numeric 'lon' and 'lat' (degrees); "
            f"got lon={raw.get('lon')!r}, lat={raw.get('lat')!r}"
        ) from None
    if not (_LON[0] <= lon <= _LON[1] and _LAT[0] <= lat <= _LAT[1]):
        raise CourseError(
            f"{where}: waypoint {name_en!r} at lon={lon}, lat={lat} is outside downtown Sapporo "
            f"(lon {_LON[0]}..{_LON[1]}, lat {_LAT[0]}..{_LAT[1]}); are lon and lat swapped?"
        )
    return Waypoint(name_en, name_ja, lon, lat)


def parse_courses(doc: Any, source: str = "courses") -> list[Course]:
    """
    Courses from the parsed JSON document, checked.

    Parameters
    ----------
    doc
        The parsed file: an object with a ``courses`` list.
    source
        Name used in error messages (the file path).

    Returns
    -------
    list of Course
        In file order.

    Raises
    ------
    CourseError
        A course lacks an id, a name or description in both languages, a known mode, or at
        least two waypoints inside downtown Sapporo; or two courses share an id.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("courses"), list):
        raise CourseError(f"{source}: expected an object with a 'courses' list")
    courses: list[Course] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc["courses"]):
        where = f"{source}: course #{i + 1}"
        if not isinstance(entry, dict) or not str(entry.get("id", "")).strip():
            raise CourseError(f"{where} has no 'id'; give each course a short unique id")
        course_id = str(entry["id"])
        where = f"{source}: course {course_id!r}"
        if course_id in seen:
            raise CourseError(f"{where}: the id is used twice; ids must be unique")
        seen.add(course_id)
        mode = str(entry.get("mode", "shortest"))
        if mode not in COURSE_MODES:
            raise CourseError(f"{where}: mode must be one of {COURSE_MODES}; got {mode!r}")
        name_en, name_ja = _text(entry, "name", where)
        desc_en, desc_ja = _text(entry, "description", where)
        raw_points = entry.get("waypoints")
        if not isinstance(raw_points, list) or len(raw_points) < 2:
            raise CourseError(f"{where}: needs at least two waypoints; got {raw_points!r}")
        points = tuple(_waypoint(p, where) for p in raw_points)
        courses.append(Course(course_id, mode, name_en, name_ja, desc_en, desc_ja, points))
    return courses


def load_courses(path: Path | None = None) -> list[Course]:
    """
    The walking courses of a course file (default: the embedded ``courses.json``).

    Raises
    ------
    CourseError
        The file is missing, not JSON, or a course is malformed (see :func:`parse_courses`).
    """
    path = COURSES_FILE if path is None else Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"course file {path} not found") from None
    except json.JSONDecodeError as exc:
        raise CourseError(f"{path} is not valid JSON: {exc}") from None
    return parse_courses(doc, str(path))


def steps_for(length_m: float, step_length_m: float = STEP_LENGTH_M) -> int:
    """
    Steps to walk a distance: length / step length (0.7 m, a mean adult step).

    Examples
    --------
    >>> steps_for(1400.0)
    2000
    """
    return round(length_m / step_length_m)


def energy_kcal(
    minutes: float, met: float = WALKING_MET, body_mass_kg: float = BODY_MASS_KG
) -> float:
    """
    Energy spent walking (kcal) = MET × body mass (kg) × duration (h).

    One MET is about 1 kcal per kg per hour. Assumptions: 3.5 MET (walking 2.8–3.2 mph on a
    level, firm surface; Compendium of Physical Activities 2011, code 17190) and a 60 kg adult;
    the duration is the route's walking time, which already includes the winter slowdown.

    Examples
    --------
    >>> energy_kcal(20.0)
    70.0
    """
    return round(met * body_mass_kg * minutes / 60.0, 1)


def course_route(
    cg: routing.CompiledGraph,
    course: Course,
    weights: routing.EdgeWeights,
    *,
    category_order: Sequence[str] | None = None,
) -> dict[str, Any]:
    """
    A course routed on the compiled graph through its waypoints, leg by leg, with its figures.

    Parameters
    ----------
    cg
        The compiled walking graph.
    course
        The course; each waypoint is snapped to the nearest ground-level node.
    weights
        Routing weights of the course's mode (:func:`comfort.conditions.route_weights`).
    category_order
        UTCI category labels in the order ``utci_minutes`` should list them.

    Returns
    -------
    dict
        ``length_m``, ``minutes``, ``steps``, ``energy_kcal``, ``underground_share``,
        ``walkways``, ``utci_minutes`` (None without a field), ``geometry`` (GeoJSON
        LineString, lon/lat) and, per directed edge walked in order, ``segment_ids`` (the
        segments of the comfort field) and ``edge_length_m`` (numpy arrays, not JSON).
    """
    import numpy as np

    from comfort import routing

    nodes = [cg.snap(w.lon, w.lat, level=0)[0] for w in course.waypoints]
    legs = [
        routing.find_route(cg, weights, a, b, category_order=category_order).route
        for a, b in itertools.pairwise(nodes)
    ]
    length = sum(leg.length_m for leg in legs)
    minutes = sum(leg.minutes for leg in legs)
    indoor = sum(leg.length_m * leg.underground_share for leg in legs)
    coords: list[list[float]] = []
    for leg in legs:
        part = leg.geometry()["coordinates"]
        coords.extend(part if not coords else part[1:])
    utci: dict[str, float] | None = None
    if all(leg.utci_minutes is not None for leg in legs):
        utci = {}
        for leg in legs:
            for k, v in (leg.utci_minutes or {}).items():
                utci[k] = round(utci.get(k, 0.0) + v, 2)
    edges = np.concatenate(
        [np.asarray(leg.edges, dtype=np.int64) for leg in legs] or [np.empty(0, dtype=np.int64)]
    )
    walkways: list[str] = []
    for leg in legs:
        for w in leg.walkways:
            if not walkways or walkways[-1] != w:
                walkways.append(w)
    return {
        "length_m": round(length, 1),
        "minutes": round(minutes, 1),
        "steps": steps_for(length),
        "energy_kcal": energy_kcal(minutes),
        "underground_share": round(indoor / length, 3) if length else 0.0,
        "walkways": walkways,
        "utci_minutes": utci,
        "geometry": {"type": "LineString", "coordinates": coords},
        "segment_ids": np.asarray(cg.segment_id[edges], dtype=np.int64),
        "edge_length_m": np.asarray(cg.length_m[edges], dtype=np.float64),
    }
