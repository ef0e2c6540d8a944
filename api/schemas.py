"""Response and request models of the JSON API (shown in the OpenAPI docs at /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """Every error response."""

    error: str = Field(description="Error class, e.g. NotFoundError.")
    message: str = Field(description="What was expected, what arrived and how to fix it.")
    status: int
    request_id: str | None = Field(
        default=None,
        description="Id of the request (also the X-Request-ID header), to find it in the log.",
    )
    detail: list[dict[str, Any]] | None = Field(
        default=None,
        description="Request validation errors only: one entry per problem (loc, msg).",
    )
    developer_message: str | None = Field(
        default=None,
        description=(
            "The English detail for developers when ``message`` is in another language "
            "(``?lang=ja`` or ``Accept-Language: ja``)."
        ),
    )


class RouteFiguresOut(BaseModel):
    """Figures of one path."""

    length_m: float
    minutes: float
    steps: int
    utci_minutes: dict[str, float] | None = Field(
        description="Minutes in each UTCI stress category (None without a comfort field)."
    )
    underground_share: float = Field(description="Share of the length indoors/underground, 0..1.")
    walkways: list[str]
    geometry: dict[str, Any] = Field(description="GeoJSON LineString, lon/lat.")


SourceOut = Literal["exact", "same_day_other_year", "climatology", "given", "none"]


class WeatherOut(BaseModel):
    """Daily weather of the day (real Sapporo record, or its stand-in: ``source``)."""

    air_temp_c: float | None = Field(description="Daily mean air temperature (°C).")
    wind_speed_m_s: float | None = Field(description="Daily mean wind speed (m/s).")
    precip_mm: float | None = Field(description="Daily precipitation (mm).")
    source: SourceOut
    date: str | None = Field(description="The day the values are from (None: a mean).")


class ConditionsOut(BaseModel):
    """The conditions a route or map was computed under, and where each came from."""

    at: str | None = Field(description="The time (JST), None for a season mean.")
    field_year: int | None = Field(description="Year of the comfort field used.")
    field_time: str | None = Field(description="The field hour used (JST).")
    field_source: SourceOut = Field(
        description="exact, same_day_other_year, climatology or none (docs/CONDITIONS.md)."
    )
    simulated: bool = Field(description="True when the field comes from simulated readings.")
    snow_depth_cm: float | None = Field(description="Snow depth of the day (cm).")
    snow_source: SourceOut
    snow_date: str | None = Field(description="The day the snow depth is from.")
    weather: WeatherOut
    walkways_open: bool = Field(description="Whether every walkway with opening hours is open.")
    walkways_closed: list[str] = Field(description="Walkways closed at that time.")
    aggregation: dict[str, Any] | None = Field(
        default=None, description="For a season × hour mean: year, season, hour, statistic."
    )


class TurnOut(BaseModel):
    """One turn instruction of a route (docs/STREET_NAMES.md for the street names)."""

    action: str = Field(description="depart, straight, left, right, ..., enter_walkway, arrive.")
    name_ja: str
    name_en: str
    length_m: float = Field(description="Length of the leg after the turn (m).")
    angle_deg: float = Field(description="Change of bearing (degrees, + to the right).")
    indoor: bool
    text: str = Field(description="The instruction as a sentence in the request's language.")


class WalkwayNameOut(BaseModel):
    """A walkway used by a route."""

    name_ja: str
    name_en: str


class StressMinutesOut(BaseModel):
    """Minutes in cold stress, heat stress and without thermal stress (min)."""

    cold: float
    heat: float
    no_stress: float


class RouteStressOut(BaseModel):
    """Stress minutes of the route and of the shortest route (None without a comfort field)."""

    route: StressMinutesOut | None
    shortest: StressMinutesOut | None


class RouteReasonOut(BaseModel):
    """Why the route was chosen: a code and a sentence in the request's language."""

    code: Literal["shortest", "same", "less_stress", "underground", "closed", "no_field"]
    text: str
    saved: int | None = Field(default=None, description="Stress minutes saved (less_stress).")
    extra: int | None = Field(default=None, description="Extra walking minutes (less_stress).")
    pct: int | None = Field(default=None, description="Underground share, % (underground).")


class RouteOut(RouteFiguresOut):
    """A route and the shortest route for comparison, with the result card's parts."""

    energy_kcal: float = Field(description="Energy of the walk (kcal, 3.5 MET, 60 kg).")
    advice: dict[str, str] | None = Field(
        description=(
            "The five-level comfort scale's level the route spends most minutes in, with its "
            "advice in the request's language (None without a comfort field)."
        )
    )
    stress_minutes: RouteStressOut
    walkways_used: list[WalkwayNameOut]
    walkways_closed: list[WalkwayNameOut] = Field(description="Walkways closed at that time.")
    turns: list[TurnOut]
    reason: RouteReasonOut
    lang: str = Field(description="Language of the sentences (ja or en).")

    shortest: RouteFiguresOut
    mode: str
    alpha: float
    at: str | None = Field(description="The time the route was computed for (JST).")
    minute_of_day: float | None
    snow_depth_cm: float = Field(description="Real Sapporo snow depth of that day (cm).")
    comfort_field: bool = Field(description="Whether a comfort field was used.")
    field_year: int | None
    simulated: bool = Field(description="True when the comfort field comes from simulated data.")
    conditions: ConditionsOut
    origin_snap_m: float
    destination_snap_m: float
    walking_speed_kmh: float
    step_length_m: float


class WaypointOut(BaseModel):
    """A real place a course passes."""

    name: str
    lon: float
    lat: float


class CourseSummaryOut(BaseModel):
    """A walking course in the list."""

    id: str
    name: str
    description: str
    mode: str
    lang: str
    waypoints: list[WaypointOut]
    url: str


class CourseOut(CourseSummaryOut):
    """A walking course with its route figures."""

    length_m: float
    minutes: float
    steps: int
    energy_kcal: float
    energy_formula: str
    underground_share: float
    walkways: list[str]
    utci_minutes: dict[str, float] | None
    geometry: dict[str, Any]
    comfort_by_season: list[dict[str, Any]]
    winter_alternative: dict[str, Any] | None
    simulated: bool


class IngestRowOut(BaseModel):
    """Outcome of one posted row."""

    row: int = Field(description="0-based index of the row in the posted batch.")
    status: str = Field(description="accepted, flagged or quarantined.")
    flags: list[str] = Field(default_factory=list)
    reason: str | None = None


class IngestOut(BaseModel):
    """
    Outcome of a posted batch: validated, then durably queued for the store's one writer.

    ``accepted`` rows passed validation and are queued (written to disk, fsynced); the server's
    writer stores them within seconds, once, with QC recomputed against the store (a reading
    that repeats a stored ``(sensor_id, time)`` is then flagged ``duplicate`` as well).
    """

    kind: str
    rows_read: int
    accepted: int = Field(description="Rows validated and durably queued (flagged ones included).")
    flagged: int
    quarantined: int
    duplicate_batch: bool = Field(
        description="The identical batch was posted before (queued or stored); nothing added."
    )
    queued: bool = Field(
        default=False,
        description="True when this batch was durably queued now; false for a duplicate.",
    )
    messages: list[str] = Field(default_factory=list)
    rows: list[IngestRowOut]
