"""
Simulated questionnaire responses at public places, tied to the simulated readings (simulated).

Respondents are interviewed in daytime sessions (10:00–18:00) at places outdoors and in the
underground walkways, through the year. Each vote follows the UTCI of the place at that hour,
computed with :mod:`comfort.indices` from the readings of the station that represents the
place (MRT from the globe by ISO 7726, wind brought to 10 m with the UTCI log profile):

- thermal sensation (ASHRAE −3..+3): a latent sensation ``(UTCI − neutral) / 7.5 °C`` plus a
  personal bias (s.d. 0.5), the effect of clothing heavier or lighter than usual for the season,
  and noise (s.d. 0.6), rounded and clipped. **Sapporo adaptation**: the neutral UTCI follows
  the 30-day mean outdoor temperature, ``neutral = 12 + 0.3 × T30`` °C (about 11 °C in January,
  18.5 °C in August), below the textbook 17.5 °C in the cool seasons; indoors (underground),
  where people still wear their outdoor clothes, 4 °C higher;
- comfort vote (0 uncomfortable .. 3 comfortable): penalises warm sensations more than cool
  ones (people here find cool conditions acceptable);
- preference (warmer / no change / cooler), activity, clothing (clo, by season), age group and
  an optional short free text in Japanese or English.

The conditions used for every response (UTCI and its inputs) are returned in a separate table,
so that researchers can score an index against the votes; a real questionnaire has no such
table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from comfort.indices import mean_radiant_temperature, utci, wind_speed_at_10m
from sensors.errors import SimulationError
from sensors.simulate._base import TZ, is_day_off, stream

#: Columns of the simulated questionnaire (DATA_FORMATS.md), plus ``place_id``.
SURVEY_COLUMNS: tuple[str, ...] = (
    "response_id",
    "time",
    "lat",
    "lon",
    "place_id",
    "thermal_sensation",
    "comfort_vote",
    "preference",
    "activity",
    "clothing_clo",
    "age_group",
    "free_text",
    "simulated",
)

#: Columns of the conditions table returned beside the responses.
CONDITION_COLUMNS: tuple[str, ...] = (
    "response_id",
    "place_id",
    "sensor_id",
    "air_temp_c",
    "mrt_c",
    "wind_speed_10m_m_s",
    "rel_humidity_pct",
    "utci_c",
    "neutral_utci_c",
    "simulated",
)

#: Columns a places table must have.
PLACE_COLUMNS: tuple[str, ...] = ("place_id", "name", "lat", "lon", "level", "sensor_id")

#: Indoors, people dressed for outdoors feel neutral at a higher UTCI (°C more).
INDOOR_NEUTRAL_SHIFT_C = 4.0

AGE_GROUPS = ("0-19", "20-39", "40-59", "60-74", "75+")
AGE_SHARES = (0.08, 0.36, 0.32, 0.18, 0.06)

_ACTIVITIES_OUT = ("walking", "shopping", "sightseeing", "resting", "waiting", "eating", "exercise")
_SHARES_OUT_WORK = (0.42, 0.14, 0.08, 0.12, 0.14, 0.06, 0.04)
_SHARES_OUT_OFF = (0.28, 0.22, 0.18, 0.16, 0.08, 0.05, 0.03)
_ACTIVITIES_IN = ("walking", "shopping", "resting", "waiting", "eating", "working")
_SHARES_IN = (0.45, 0.2, 0.12, 0.15, 0.05, 0.03)

#: Short comments by latent sensation band (cold, cool, neutral, warm, hot): (ja, en).
_TEXTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cold": (
        ("とても寒い", "手がかじかむ", "早く建物に入りたい", "足元が冷える"),
        ("Freezing today", "Too cold to stay outside", "My hands are numb"),
    ),
    "cool": (
        ("少し肌寒い", "上着があれば大丈夫", "ひんやりして気持ちいい"),
        ("A bit chilly", "Cool but fine with a jacket", "Fresh air, nice"),
    ),
    "neutral": (
        ("ちょうどいい", "歩きやすい天気", "ベンチで休みたい", "快適です"),
        ("Just right", "Pleasant for a walk", "Comfortable here"),
    ),
    "warm": (
        ("少し暑い", "日陰がほしい", "風があると助かる"),
        ("A little warm", "Would like more shade", "Nice if there were a breeze"),
    ),
    "hot": (
        ("とても暑い", "日差しが強すぎる", "水飲み場がほしい", "地下に逃げたい"),
        ("Too hot", "The sun is too strong", "Need water and shade"),
    ),
}
_WINDY = (("風が冷たい", "ビル風が強い"), ("The wind is strong here", "Gusty between buildings"))
_INDOOR = (
    ("地下は暖かくて助かる", "待ち合わせに便利", "座れる場所がもっとほしい"),
    ("Warm and dry underground", "Good place to meet", "More seats would help"),
)


def places_from_registry(registry: pd.DataFrame) -> pd.DataFrame:
    """
    Survey places at the stations of a registry: each station's site is a place it represents.

    Returns
    -------
    pandas.DataFrame
        :data:`PLACE_COLUMNS`; ``place_id`` is ``P-`` + the sensor id.
    """
    fixed = registry[registry["kind"] == "fixed"]
    return pd.DataFrame(
        {
            "place_id": "P-" + fixed["sensor_id"].astype(str),
            "name": fixed["name"].astype(str).str.replace("simulated station: ", "", regex=False),
            "lat": fixed["lat"].to_numpy(dtype=np.float64),
            "lon": fixed["lon"].to_numpy(dtype=np.float64),
            "level": fixed["level"].to_numpy(dtype=np.int64),
            "sensor_id": fixed["sensor_id"].astype(str),
        }
    ).reset_index(drop=True)


def neutral_utci_c(t30_c: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    UTCI (°C) Sapporo respondents feel as neutral, from the 30-day mean air temperature (°C).

    Examples
    --------
    >>> neutral_utci_c([-3.0, 22.0]).round(1).tolist()
    [11.1, 18.6]
    """
    return np.asarray(12.0 + 0.3 * np.asarray(t30_c, dtype=np.float64), dtype=np.float64)


def expected_clo(t30_c: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """
    Typical clothing insulation (clo) outdoors for a 30-day mean air temperature (°C).

    Examples
    --------
    >>> expected_clo([-3.0, 22.0]).round(2).tolist()
    [1.67, 0.67]
    """
    t = np.asarray(t30_c, dtype=np.float64)
    return np.asarray(np.clip(1.55 - 0.04 * t, 0.4, 2.0), dtype=np.float64)


def _band(s: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    return np.select(
        [s <= -1.5, s <= -0.5, s < 0.5, s < 1.5], ["cold", "cool", "neutral", "warm"], "hot"
    )


def simulate_survey(
    readings: pd.DataFrame,
    places: pd.DataFrame,
    year: int,
    seed: int = 42,
    n: int = 2000,
    height_m: float = 1.5,
    globe_diameter_m: float = 0.15,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Simulate questionnaire responses tied to simulated (or real) readings (simulated data).

    Parameters
    ----------
    readings
        Thermal readings (:func:`sensors.simulate.simulate_thermal` or the store):
        ``time, sensor_id, air_temp_c, rel_humidity_pct, wind_speed_m_s, globe_temp_c, level``.
    places
        Survey places (:data:`PLACE_COLUMNS`; ``sensor_id`` is the station whose readings
        represent the place, e.g. from :func:`places_from_registry`).
    year
        Calendar year of the interviews.
    seed
        Random seed: the same seed and inputs give identical output.
    n
        Number of responses.
    height_m, globe_diameter_m
        Sensor height (m) and globe diameter (m) of the stations.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The responses (:data:`SURVEY_COLUMNS`, ``time`` tz-aware Asia/Tokyo, ``simulated``
        true) and the conditions of each response (:data:`CONDITION_COLUMNS`).

    Raises
    ------
    SimulationError
        ``n`` < 1, a column is missing, or no daytime reading of the year at any place.
    """
    if n < 1:
        raise SimulationError(f"n must be at least 1 response; got {n}.")
    for table, cols, what in (
        (
            readings,
            (
                "time",
                "sensor_id",
                "air_temp_c",
                "rel_humidity_pct",
                "wind_speed_m_s",
                "globe_temp_c",
            ),
            "readings",
        ),
        (places, PLACE_COLUMNS, "places"),
    ):
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise SimulationError(
                f"the {what} table has no column(s) {missing}; expected {list(cols)}. "
                "Use simulate_thermal's readings and places_from_registry(registry)."
            )
    rng = stream(seed, "survey", year)
    t = pd.DatetimeIndex(readings["time"]).tz_convert(TZ)
    in_year = np.asarray(t.year == year)
    sub = readings.loc[in_year].copy()
    sub["time"] = t[in_year]
    if len(sub) == 0:
        raise SimulationError(
            f"no readings in {year}; simulate thermal readings for {year} first "
            "(kaiteki simulate thermal --year ...)."
        )

    # 30-day running mean of the street stations' daily mean air temperature (the season)
    street = sub[sub["level"] == 0] if "level" in sub.columns else sub
    daily = street.groupby(street["time"].dt.normalize())["air_temp_c"].median()
    t30 = daily.rolling("30D", min_periods=1).mean()

    # candidate sessions: daytime readings at the places' stations, with a valid UTCI
    site = sub[sub["sensor_id"].isin(set(places["sensor_id"]))]
    hour = site["time"].dt.hour
    site = site[(hour >= 10) & (hour < 18)]
    mrt = mean_radiant_temperature(
        site["globe_temp_c"], site["air_temp_c"], site["wind_speed_m_s"], globe_diameter_m
    )
    v10 = np.clip(wind_speed_at_10m(site["wind_speed_m_s"], height_m), 0.5, 17.0)
    rh = np.clip(site["rel_humidity_pct"].to_numpy(dtype=np.float64), 0.0, 100.0)
    u = utci(site["air_temp_c"], mrt, v10, rh)
    ok = np.isfinite(u)
    if not ok.any():
        raise SimulationError(
            f"no daytime (10:00–18:00) reading with a valid UTCI in {year} at the places' "
            "stations; check that places.sensor_id matches readings.sensor_id."
        )
    site = site.assign(mrt_c=mrt, v10=v10, rh=rh, utci_c=u)[ok].reset_index(drop=True)
    place_of = places.drop_duplicates("sensor_id").set_index("sensor_id")
    level = place_of.loc[site["sensor_id"], "level"].to_numpy()
    weight = np.where(
        level < 0, 0.35 / max(1, (level < 0).sum()), 0.65 / max(1, (level >= 0).sum())
    )
    n_sessions = max(1, int(np.ceil(n / 15)))
    sessions = rng.choice(len(site), size=n_sessions, p=weight / weight.sum())
    which = sessions[rng.integers(0, n_sessions, n)]
    rows = site.iloc[which].reset_index(drop=True)
    places_rows = place_of.loc[rows["sensor_id"]].reset_index()

    day = rows["time"].dt.normalize()
    t30_r = t30.reindex(pd.DatetimeIndex(day)).to_numpy(dtype=np.float64)
    t30_r = np.where(np.isfinite(t30_r), t30_r, rows["air_temp_c"].to_numpy())
    indoor = places_rows["level"].to_numpy() < 0
    neutral = neutral_utci_c(t30_r) + INDOOR_NEUTRAL_SHIFT_C * indoor
    clo = np.clip(expected_clo(t30_r) + rng.normal(0.0, 0.15, n) - 0.1 * indoor, 0.3, 2.5)
    clo_extra = clo - expected_clo(t30_r)
    latent = (
        (rows["utci_c"].to_numpy() - neutral) / 7.5
        + rng.normal(0.0, 0.5, n)
        + 0.8 * clo_extra
        + rng.normal(0.0, 0.6, n)
    )
    sensation = np.clip(np.rint(latent), -3, 3).astype(np.int64)
    comfort = 3.0 - 0.75 * np.maximum(-latent, 0) - 1.1 * np.maximum(latent, 0)
    comfort_vote = np.clip(np.rint(comfort + rng.normal(0.0, 0.5, n)), 0, 3).astype(np.int64)
    pref_latent = latent + rng.normal(0.0, 0.4, n)
    preference = np.select(
        [pref_latent < -0.7, pref_latent > 0.5], ["warmer", "cooler"], "no change"
    )
    off = is_day_off(pd.DatetimeIndex(day))
    activity = np.where(
        indoor,
        rng.choice(_ACTIVITIES_IN, n, p=_SHARES_IN),
        np.where(
            off,
            rng.choice(_ACTIVITIES_OUT, n, p=_SHARES_OUT_OFF),
            rng.choice(_ACTIVITIES_OUT, n, p=_SHARES_OUT_WORK),
        ),
    )
    texts = _free_text(rng, latent, rows["wind_speed_m_s"].to_numpy(), indoor)
    minutes = rng.uniform(0.0, 60.0, n)
    jitter = rng.normal(0.0, 12.0, (n, 2))  # metres around the place
    lat0 = places_rows["lat"].to_numpy(dtype=np.float64)
    ids = np.array([f"SIM-{year}-{i:05d}" for i in range(1, n + 1)])
    when = pd.DatetimeIndex(rows["time"]) + pd.to_timedelta(np.round(minutes), unit="min")
    order = np.argsort(when.asi8, kind="stable")
    responses = pd.DataFrame(
        {
            "response_id": ids,
            "time": when,
            "lat": np.round(lat0 + jitter[:, 0] / 111_000.0, 6),
            "lon": np.round(
                places_rows["lon"].to_numpy(dtype=np.float64)
                + jitter[:, 1] / (111_000.0 * np.cos(np.radians(lat0))),
                6,
            ),
            "place_id": places_rows["place_id"].to_numpy(),
            "thermal_sensation": sensation,
            "comfort_vote": comfort_vote,
            "preference": preference,
            "activity": activity,
            "clothing_clo": np.round(clo, 2),
            "age_group": rng.choice(AGE_GROUPS, n, p=AGE_SHARES),
            "free_text": texts,
            "simulated": True,
        },
        columns=list(SURVEY_COLUMNS),
    )
    conditions = pd.DataFrame(
        {
            "response_id": ids,
            "place_id": places_rows["place_id"].to_numpy(),
            "sensor_id": rows["sensor_id"].to_numpy(),
            "air_temp_c": rows["air_temp_c"].to_numpy(),
            "mrt_c": np.round(rows["mrt_c"].to_numpy(), 2),
            "wind_speed_10m_m_s": np.round(rows["v10"].to_numpy(), 2),
            "rel_humidity_pct": rows["rh"].to_numpy(),
            "utci_c": np.round(rows["utci_c"].to_numpy(), 2),
            "neutral_utci_c": np.round(neutral, 2),
            "simulated": True,
        },
        columns=list(CONDITION_COLUMNS),
    )
    responses = responses.iloc[order].reset_index(drop=True)
    conditions = conditions.iloc[order].reset_index(drop=True)
    ids_sorted = np.array([f"SIM-{year}-{i:05d}" for i in range(1, n + 1)])
    responses["response_id"] = ids_sorted
    conditions["response_id"] = ids_sorted
    responses["time"] = pd.DatetimeIndex(responses["time"]).tz_convert(TZ)
    responses.attrs["simulated"] = True
    conditions.attrs["simulated"] = True
    return responses, conditions


def _free_text(
    rng: np.random.Generator,
    latent: npt.NDArray[np.float64],
    wind_m_s: npt.NDArray[np.float64],
    indoor: npt.NDArray[np.bool_],
) -> npt.NDArray[np.object_]:
    """About 45 % of respondents leave a short comment, 70 % of them in Japanese."""
    n = len(latent)
    out = np.full(n, "", dtype=object)
    writes = rng.random(n) < 0.45
    japanese = rng.random(n) < 0.7
    bands = _band(latent)
    pick = rng.random(n)
    for i in np.flatnonzero(writes):
        lang = 0 if japanese[i] else 1
        bank: tuple[str, ...]
        if indoor[i] and pick[i] < 0.6:
            bank = _INDOOR[lang]
        elif not indoor[i] and wind_m_s[i] > 3.0 and pick[i] < 0.5:
            bank = _WINDY[lang]
        else:
            bank = _TEXTS[str(bands[i])][lang]
        out[i] = bank[int(rng.integers(0, len(bank)))]
    return out
