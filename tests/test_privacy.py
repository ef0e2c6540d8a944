"""
Privacy audit: raw participant ids never leave the store, row-level personal data is exported
only on an explicit researcher export, and aggregates under k participants are suppressed.

The real Fitbit file (``fitbit_hourlySteps_merged.csv``, 10-digit participant ids) is ingested
into a store of this module's own, with a few questionnaire answers (synthetic, fixed, marked
simulated) whose ``response_id`` carries a raw Fitbit id, as a careless survey tool might.
Then every GET operation of the app's OpenAPI schema, every HTML page and every export kind and
format is run, and every response and every written file is searched for the raw ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.settings import Settings, get_settings

FITBIT = "fitbit_hourlySteps_merged.csv"

#: Sensible values of every query and path parameter of the GET operations.
PARAMS = {
    "from": "141.3504,43.0674",
    "to": "141.3545,43.0580",
    "at": "2022-01-20T12:00",
    "time": "2022-01-20T12:00",
    "minutes": "10",
    "mode": "comfortable",
    "level": "block",
    "lang": "en",
    "season": "DJF",
    "hour": "12",
    "year": "2022",
    "bbox": "141.34,43.05,141.36,43.07",
}
PAGES = ("/", "/map/comfort", "/map/walkability", "/map/flow", "/map/places", "/dashboard")


@pytest.fixture(scope="module")
def raw_ids(data_dir: Path) -> list[str]:
    ids = pd.read_csv(data_dir / FITBIT, usecols=["Id"], dtype=str)["Id"].unique().tolist()
    assert len(ids) > 20 and all(re.fullmatch(r"\d{10}", i) for i in ids)
    return ids


@pytest.fixture(scope="module")
def privacy_env(data_dir: Path, raw_ids: list[str], tmp_path_factory: pytest.TempPathFactory):
    """A store with the real Fitbit steps and five survey answers; settings pointing at it."""
    from api import resources
    from sensors.ingest import ingest_file
    from sensors.store import Store

    root = tmp_path_factory.mktemp("privacy")
    settings = get_settings().model_copy(update={"store": root / "privacy.duckdb"})
    survey = root / "survey.csv"
    pd.DataFrame(
        {
            "response_id": [f"fitbit-{i}" for i in raw_ids[:5]],
            "time": [f"2022-01-2{d}T12:00:00+09:00" for d in range(5)],
            "lat": 43.0605,
            "lon": 141.3521,
            "thermal_sensation": [-2, -1, 0, -1, -3],
            "comfort_vote": [1, 2, 3, 2, 0],
            "preference": "warmer",
            "activity": "walking",
            "clothing_clo": 1.5,
            "age_group": "20-39",
            "free_text": "",
            "simulated": True,
        }
    ).to_csv(survey, index=False)
    # rows that cannot be stored go to quarantine: they must not carry raw ids there either
    rejected = root / "steps_rejected.csv"
    rejected.write_text(
        "Id,ActivityHour,StepTotal\n"
        f"{raw_ids[0]},4/12/16 0:00,abc\n{raw_ids[1]},not a time,12\n{raw_ids[2]},4/12/16 2:00,5\n"
    )
    with Store(settings.store) as store:
        steps = ingest_file(store, "steps", data_dir / FITBIT, pseudonym_key=settings.pseudonym_key)
        bad = ingest_file(store, "steps", rejected, pseudonym_key=settings.pseudonym_key)
        assert bad.quarantined == 2, bad.messages
        answers = ingest_file(
            store, "survey", survey, area=resources.planning_area(),
            pseudonym_key=settings.pseudonym_key,
        )  # fmt: skip
    assert steps.accepted > 20_000 and answers.accepted == 5
    return settings, root


def _leaks(text: str, raw_ids: list[str]) -> list[str]:
    return [i for i in raw_ids if i in text]


def test_store_holds_no_raw_participant_id(privacy_env, raw_ids: list[str]) -> None:
    from sensors.store import Store

    settings, _ = privacy_env
    with Store(settings.store, read_only=True) as store:
        tables = [r[0] for r in store.con.execute("SHOW TABLES").fetchall()]
        for table in tables:
            frame = store.query(f'SELECT * FROM "{table}"')
            text = frame.astype(str).to_csv(index=False)
            assert not _leaks(text, raw_ids), f"raw participant id in table {table}"
        assert len(store.quarantine()) >= 2  # the check above covered quarantined rows
        ids = store.query("SELECT DISTINCT participant FROM steps")["participant"]
    assert ids.str.fullmatch(r"p-[0-9a-f]{16}").all() and len(ids) == len(raw_ids)


def test_every_get_endpoint_and_page_is_free_of_raw_ids(privacy_env, raw_ids: list[str]):
    from api.app import create_app

    settings, _ = privacy_env
    app = create_app(settings)
    spec = app.openapi()
    checked = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        courses = client.get("/v1/courses").json()
        places = client.get("/v1/places").json()["features"]
        path_values = {
            "course_id": courses[0]["id"],
            "place_id": places[0]["properties"]["place_id"],
            "path": "Things",  # /sta/v1.1/{path}: the other entity sets are added below
            "entity_id": "urn:ngsi-ld:WeatherObserved:kaiteki:none",
        }
        standards = [
            *(f"/sta/v1.1/{s}" for s in ("Datastreams", "Observations", "Sensors", "Locations")),
            "/sta/v1.1/FeaturesOfInterest",
            "/ngsi-ld/v1/entities?type=WeatherObserved",
            "/ngsi-ld/v1/entities?type=CrowdFlowObserved",
        ]
        urls = [*PAGES, f"/courses/{path_values['course_id']}", *standards]
        for path, item in spec["paths"].items():
            if "get" not in item:
                continue
            params = {}
            url = path
            for p in item["get"].get("parameters", []):
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", path_values[p["name"]])
                elif p["in"] == "query" and p["name"] in PARAMS:
                    params[p["name"]] = PARAMS[p["name"]]
            if "season" in params:  # /v1/comfort: one of time or season+hour
                urls.append(url + "?" + "&".join(f"{k}={v}" for k, v in params.items()
                                                 if k not in ("season", "hour", "year")))  # fmt: skip
                params.pop("time", None)
            urls.append(
                url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
            )
        for url in urls:
            r = client.get(url)
            # 503: a comfort field this module's cache has not built (no personal data there)
            assert r.status_code < 500 or r.status_code == 503, (url, r.text[:300])
            assert not _leaks(r.text, raw_ids), f"raw participant id in GET {url}"
            checked += 1
        kpi = client.get("/v1/kpi").json()["steps"]
    gets = sum("get" in item for item in spec["paths"].values())
    assert gets >= 10 and checked == gets + 1 + len(PAGES) + 1 + len(standards)
    # the steps KPI is computed from the ingested data and published only for groups >= k
    assert kpi["series"], "the steps KPI should have months with enough participants"
    assert all(m["participants"] >= settings.k_anonymity for m in kpi["series"])


def test_steps_under_k_participants_are_suppressed(privacy_env) -> None:
    from api.app import create_app

    settings, _ = privacy_env
    strict = settings.model_copy(update={"k_anonymity": 1000})
    with TestClient(create_app(strict)) as client:
        steps = client.get("/v1/kpi").json()["steps"]
        page = client.get("/dashboard?lang=en").text
    assert steps["series"] == []
    assert "mean_daily_steps" not in json.dumps(steps)
    assert steps["k"] == 1000 and "steps" in page


def _export(args: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch):
    from api.cli import app

    monkeypatch.setenv("KAITEKI_STORE", str(settings.store))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["export", *args])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize("kind", ["steps", "survey"])
def test_row_level_export_needs_researcher_flag(
    privacy_env, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sensors.errors import ExportError

    settings, _ = privacy_env
    out = tmp_path / f"{kind}.csv"
    res = _export([kind, "--format", "csv", "--out", str(out)], settings, monkeypatch)
    assert isinstance(res.exception, ExportError)
    assert re.search(r"export refused: it writes row-level personal data.*--researcher",
                     str(res.exception))  # fmt: skip
    assert not out.exists()
    res = _export([kind, "--format", "csv", "--out", str(out), "--researcher"], settings,
                  monkeypatch)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert out.exists()


def test_every_export_is_free_of_raw_ids(
    privacy_env, raw_ids: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sensors import export as ex

    settings, _ = privacy_env
    written: list[Path] = []
    refused: list[str] = []
    for kind, formats in ex.FORMATS_BY_KIND.items():
        for fmt in formats:
            out = tmp_path / f"{kind}_{fmt}.{'nc' if fmt == 'netcdf' else fmt}"
            args = [kind, "--format", fmt, "--out", str(out), "--researcher"]
            res = _export(args, settings, monkeypatch)
            if res.exit_code != 0:
                # only inputs not built in this store/cache may be missing (field, walkability)
                assert kind in ("field", "walkability"), (kind, fmt, res.output, res.exception)
                refused.append(f"{kind}/{fmt}")
                continue
            written.extend(p for p in tmp_path.iterdir() if p.name.startswith(f"{kind}_{fmt}"))
    kinds_written = {p.name.split("_")[0] for p in written}
    assert {"readings", "counts", "steps", "survey", "places"} <= kinds_written
    for path in written:
        data = path.read_bytes()
        for raw in raw_ids:
            assert raw.encode() not in data, f"raw participant id {raw} in export {path.name}"
