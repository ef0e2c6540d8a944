"""
Property tests (Hypothesis): monotonicity of the indices, optimality relations of the routes,
and order independence of quality control.

UTCI (the official 6th-order polynomial) rises with air temperature everywhere inside its
validity. With mean radiant temperature it rises everywhere but in one corner: hot, nearly
saturated air with a much colder radiant environment (Ta > ~30 °C, RH > ~90 %, Tmrt − Ta near
−30 K), where the polynomial dips by a few hundredths of a kelvin per +0.5 K of MRT. The
reference implementation (pythermalcomfort, unrounded) has the same dip to 1e-6 K, so it is a
property of the published polynomial, not of kaiteki's kernel: the test allows a decrease only
where the reference decreases too, and only up to 0.05 K.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from comfort import indices, routing
from comfort.errors import RoutingError

PROPS = settings(max_examples=150, deadline=None, derandomize=True, database=None)

# inside UTCI validity: Ta −50..50 °C, Tmrt − Ta −30..70 K, wind 0.5..17 m/s, RH 0..100 %
air = st.floats(-50.0, 49.0)
delta = st.floats(-30.0, 69.0)
wind = st.floats(0.5, 17.0)
rh = st.floats(0.0, 100.0)
step = st.floats(0.01, 1.0)


def _reference_utci(ta: float, tr: float, va: float, rh_pct: float) -> float:
    from pythermalcomfort.models import utci as ref

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(
            ref(tdb=ta, tr=tr, v=va, rh=rh_pct, limit_inputs=False, round_output=False).utci
        )


@PROPS
@given(air, delta, wind, rh, step)
def test_utci_rises_with_air_temperature(ta, d, va, rh_pct, dt) -> None:
    tr = ta + d
    u0 = indices.utci(ta, tr, va, rh_pct)
    u1 = indices.utci(ta + dt, tr, va, rh_pct)
    assume(np.isfinite(u0) and np.isfinite(u1))  # vapour pressure may pass 50 hPa
    assert u1 > u0


@PROPS
@given(air, delta, wind, rh, step)
@example(32.9483586731407, 4.158898699330511 - 32.9483586731407, 15.91696731930112, 98.67, 0.5)
def test_utci_rises_with_mrt_except_where_the_reference_dips(ta, d, va, rh_pct, dt) -> None:
    tr = ta + d
    assume(tr + dt - ta <= 70.0)
    u0 = float(indices.utci(ta, tr, va, rh_pct))
    u1 = float(indices.utci(ta, tr + dt, va, rh_pct))
    assume(np.isfinite(u0) and np.isfinite(u1))
    if u1 > u0:
        return
    r0, r1 = _reference_utci(ta, tr, va, rh_pct), _reference_utci(ta, tr + dt, va, rh_pct)
    assert r1 <= r0 + 1e-9, "kaiteki dips where the reference does not"
    assert abs(u0 - r0) < 1e-6 and abs(u1 - r1) < 1e-6
    assert u0 - u1 < 0.05
    assert ta > 25.0 and rh_pct > 80.0 and d < -20.0  # only the documented corner


def test_the_documented_mrt_dip_is_in_the_reference() -> None:
    """The example above really is non-monotone in both implementations (the test can fail)."""
    ta, va, rh_pct = 32.9483586731407, 15.91696731930112, 98.67
    ours = indices.utci(ta, [4.158898699330511, 4.658898699330511], va, rh_pct)
    ref = [_reference_utci(ta, tr, va, rh_pct) for tr in (4.158898699330511, 4.658898699330511)]
    assert ours[1] < ours[0] and ref[1] < ref[0]


@PROPS
@given(st.floats(-50.0, -0.01), st.floats(0.0, 40.0), st.floats(0.01, 10.0))
def test_wind_chill_falls_with_wind_below_freezing(t, v, dv) -> None:
    # across 5 km/h too: the low-wind formula joins the NWS one within 0.001 °C
    w0, w1 = indices.wind_chill(t, v), indices.wind_chill(t, v + dv)
    assert np.isfinite(w0) and np.isfinite(w1)
    assert w1 < w0
    assert w0 <= t  # never warmer than the air below freezing


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.floats(-50.0, -0.5), st.floats(5.0 / 3.6, 30.0))
def test_wind_chill_matches_reference(t, v) -> None:
    from pythermalcomfort.models import wind_chill_temperature

    ref = wind_chill_temperature(tdb=t, v=v * 3.6, round_output=False).wct
    assert float(indices.wind_chill(t, v)) == pytest.approx(float(ref), abs=1e-6)


@PROPS
@given(st.floats(-30.0, 40.0), st.floats(-20.0, 50.0), st.floats(0.0, 10.0), st.floats(0.01, 3.0))
def test_globe_lies_between_air_and_mrt_and_nears_air_with_wind(ta, d, v, dv) -> None:
    mrt = ta + d
    g0 = float(indices.globe_temperature(mrt, ta, v))
    g1 = float(indices.globe_temperature(mrt, ta, v + dv))
    assert min(ta, mrt) - 1e-9 <= g0 <= max(ta, mrt) + 1e-9
    assert abs(g1 - ta) <= abs(g0 - ta) + 1e-9  # more wind, more convection: globe nears air
    assert float(indices.mean_radiant_temperature(g0, ta, v)) == pytest.approx(mrt, abs=1e-6)


# --- routing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled(sapporo_graph: nx.MultiDiGraph) -> routing.CompiledGraph:
    return routing.compile_graph(sapporo_graph)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    alpha=st.floats(0.0, 20.0),
    mode=st.sampled_from(["comfortable", "winter"]),
    snow=st.sampled_from([0.0, 25.0]),
    hour=st.sampled_from([None, 3.0, 12.0]),
)
def test_comfortable_route_never_shorter_never_costlier(
    compiled: routing.CompiledGraph, seed, alpha, mode, snow, hour
) -> None:
    cg = compiled
    rng = np.random.default_rng(seed)
    discomfort = rng.random(cg.n_edges)
    discomfort[rng.random(cg.n_edges) < 0.05] = np.nan  # segments without field data
    at = None if hour is None else hour * 60.0
    w = routing.edge_weights(
        cg, mode, at=at, discomfort=discomfort, alpha=alpha, snow_depth_cm=snow
    )
    s = routing.shortest_weights_like(cg, w)
    src, dst = (int(i) for i in rng.integers(0, cg.n_nodes, 2))
    try:
        c_cost, c_edges = routing.shortest_path_edges(cg, w, src, dst)
        s_cost, s_edges = routing.shortest_path_edges(cg, s, src, dst)
    except RoutingError:
        assume(False)
        return
    c_len = float(cg.length_m[c_edges].sum())
    s_len = float(cg.length_m[s_edges].sum())
    assert c_len >= s_len - 1e-6 * max(1.0, s_len)
    # under the comfortable weights, the comfortable route costs no more than the shortest one
    assert float(w.cost[c_edges].sum()) <= float(w.cost[s_edges].sum()) + 1e-6 * max(1.0, c_cost)
    assert float(w.cost[c_edges].sum()) == pytest.approx(c_cost, rel=1e-9, abs=1e-6)
    assert s_len == pytest.approx(s_cost, rel=1e-9, abs=1e-6)


# --- QC -------------------------------------------------------------------------------------


def _thermal_frame(seed: int, n_sensors: int, n_times: int) -> pd.DataFrame:
    """Readings of a few sensors with injected faults (fixed seed)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2022-01-05 08:00", tz="Asia/Tokyo")
    rows = []
    for s in range(n_sensors):
        air = 2.0 + np.cumsum(rng.normal(0, 0.6, n_times))
        for i in range(n_times):
            rows.append(
                {
                    "time": (t0 + pd.Timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%S+09:00"),
                    "sensor_id": f"prop-{s}",
                    "lat": 43.0605 + 0.001 * s,
                    "lon": 141.3521,
                    "air_temp_c": round(float(air[i]), 2),
                    "rel_humidity_pct": round(float(rng.uniform(40, 90)), 1),
                    "wind_speed_m_s": round(float(rng.uniform(0.5, 5)), 2),
                    "globe_temp_c": round(float(air[i] + rng.normal(1, 1)), 2),
                }
            )
    frame = pd.DataFrame(rows).astype(object)
    n = len(frame)
    picks = rng.choice(n, size=min(n, 8), replace=False)
    frame.loc[picks[0], "air_temp_c"] = 99.0  # range
    frame.loc[picks[1], "air_temp_c"] = float(frame.loc[picks[1], "air_temp_c"]) + 12  # spike
    frame.loc[picks[2], "globe_temp_c"] = float(frame.loc[picks[2], "air_temp_c"]) - 9  # globe
    frame.loc[picks[3], "rel_humidity_pct"] = None  # missing
    frame.loc[picks[4], "wind_speed_m_s"] = "calm"  # text in a numeric field: quarantine
    frame.loc[picks[5], "time"] = "not a time"  # unparseable key: quarantine
    frame.loc[picks[6], "lat"] = 43.2  # outside the area
    dup = frame.loc[[picks[7]]]  # an exact duplicate row
    return pd.concat([frame, dup], ignore_index=True)


def _outcome(store_path: Path, csv: Path) -> tuple[dict, list]:
    from api import resources
    from sensors.ingest import ingest_file
    from sensors.store import Store

    with Store(store_path) as store:
        ingest_file(store, "thermal", csv, area=resources.planning_area())
        acc = store.con.execute(
            "SELECT sensor_id, CAST(time AS VARCHAR), qc_flags FROM readings"
        ).fetchall()
        quarantined = store.quarantine()
    accepted: dict[tuple[str, str], list[int]] = {}
    for sensor, t, flags in acc:
        accepted.setdefault((sensor, t), []).append(int(flags))
    # the line number and the file name in the reason differ by construction; field and raw row
    reasons = sorted(
        zip(quarantined["field"].astype(str), quarantined["raw"].astype(str), strict=True)
    )
    return {k: sorted(v) for k, v in accepted.items()}, reasons


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 10_000), shuffle_seed=st.integers(0, 10_000))
def test_qc_is_independent_of_row_order(tmp_path_factory, isolated_var, seed, shuffle_seed):
    folder = tmp_path_factory.mktemp("qc")
    frame = _thermal_frame(seed, n_sensors=3, n_times=30)
    shuffled = frame.sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True)
    a, b = folder / "a.csv", folder / "b.csv"
    frame.to_csv(a, index=False)
    shuffled.to_csv(b, index=False)
    acc_a, q_a = _outcome(folder / "a.duckdb", a)
    acc_b, q_b = _outcome(folder / "b.duckdb", b)
    assert acc_a == acc_b
    assert q_a == q_b and len(q_a) == 2
    flagged = sum(any(f) for f in acc_a.values())
    assert flagged >= 4  # the injected faults are really flagged (the test can fail)
