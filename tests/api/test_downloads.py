"""Dashboard downloads: every table as CSV and Excel, read back with pandas, same numbers."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.services.dashboard import COLUMNS, TABLES, DashboardTable, table_csv, tables_xlsx


def _csv(client: TestClient, name: str, lang: str = "en") -> pd.DataFrame:
    r = client.get(f"/dashboard/download/{name}.csv?lang={lang}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f"kaiteki-{name}-2022.csv" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read the Japanese text
    return pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig")


def _xlsx(client: TestClient, path: str) -> dict[str, pd.DataFrame]:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    return pd.read_excel(io.BytesIO(r.content), sheet_name=None, engine="openpyxl")


def _kpi(client: TestClient) -> dict:
    return client.get("/v1/kpi").json()["places"]


def test_seasons_csv_round_trips_the_kpi_numbers(client: TestClient) -> None:
    frame = _csv(client, "seasons")
    assert list(frame.columns) == list(COLUMNS["seasons"])
    kpi = _kpi(client)
    normalised = frame[frame["basis"] == "Climate-normalised"]
    assert set(normalised["year"]) == {2021, 2022}
    assert set(normalised["period"]) >= {"year", "winter", "summer"}
    for r in kpi["series"]:
        got = normalised[(normalised["year"] == r["year"]) & (normalised["period"] == r["period"])]
        assert len(got) == 1, (r["year"], r["period"])
        row = got.iloc[0]
        assert int(row["comfortable"]) == r["comfortable"]
        assert int(row["places"]) == r["places"]
        assert row["comfortable_expected"] == pytest.approx(r["comfortable_expected"], abs=0.005)
        if r["ratio"] is None:
            assert pd.isna(row["ratio"])
        else:
            assert row["ratio"] == pytest.approx(r["ratio"], abs=0.0005)
    actual = frame[frame["basis"] == "Actual weather"]
    assert len(actual) == len([r for r in kpi["actual_weather"] if r["year"] in (2021, 2022)])
    assert frame["simulated"].all()  # built from simulated readings, and says so


def test_places_csv_states_threshold_and_distance(client: TestClient) -> None:
    frame = _csv(client, "places")
    kpi = _kpi(client)
    threshold = 100 * kpi["criteria"]["share"]
    assert not frame.empty
    assert (frame["threshold_pct"] == threshold).all()
    assert frame["distance_pt"].to_numpy() == pytest.approx(
        (frame["share_pct"] - frame["threshold_pct"]).to_numpy(), abs=0.11
    )
    assert (frame["meets_threshold"] == (frame["distance_pt"] >= 0)).all()
    assert (frame["year"] == 2022).all()
    shares = {
        (r["place_id"], r["period"]): r["share_comfortable"]
        for r in kpi["place_periods"]
        if r["year"] == 2022
    }
    for r in frame.itertuples():
        assert r.share_pct == pytest.approx(100 * shares[(r.place_id, r.period)], abs=0.06)


@pytest.mark.parametrize("name", TABLES)
def test_xlsx_equals_csv(client: TestClient, name: str) -> None:
    csv = _csv(client, name, "ja")
    sheets = _xlsx(client, f"/dashboard/download/{name}.xlsx?lang=ja")
    assert list(sheets) == [name]
    xlsx = sheets[name]
    assert list(xlsx.columns) == list(COLUMNS[name])
    assert len(xlsx) == len(csv)
    for col in COLUMNS[name]:
        a, b = csv[col], xlsx[col]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            assert a.to_numpy(dtype=float) == pytest.approx(b.to_numpy(dtype=float), nan_ok=True), (
                col
            )
        else:
            assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist(), col


def test_workbook_holds_every_table(client: TestClient) -> None:
    sheets = _xlsx(client, "/dashboard/download/dashboard.xlsx")
    assert list(sheets) == list(TABLES)
    seasons = _csv(client, "seasons")
    assert sheets["seasons"]["comfortable"].tolist() == seasons["comfortable"].tolist()
    progress = sheets["progress"]
    places = progress[progress["kpi"] == "Comfortable places"]
    assert set(places["target_2030"]) == {2.0}
    assert places["target_2023"].iloc[0] == pytest.approx(
        1 + (2023 - 2021) / (2030 - 2021), abs=1e-3
    )


def test_unknown_download_is_404(client: TestClient) -> None:
    r = client.get("/dashboard/download/nothing.csv")
    assert r.status_code == 404
    assert "seasons" in r.text and "dashboard.xlsx" in r.text
    assert client.get("/dashboard/download/seasons.pdf").status_code == 404


def test_csv_and_xlsx_neutralise_formulas() -> None:
    table = DashboardTable(
        "scenarios",
        COLUMNS["scenarios"],
        [
            {
                "intervention": '=HYPERLINK("http://x")',
                "intervention_key": "@cmd",
                "comfortable_now": 3,
                "comfortable_with": 4,
                "gain": -1,
                "places_gained": "+a",
                "simulated": True,
            }
        ],
        "en",
    )
    back = pd.read_csv(io.BytesIO(table_csv(table)), encoding="utf-8-sig")
    assert back.loc[0, "intervention"] == '\'=HYPERLINK("http://x")'
    assert back.loc[0, "intervention_key"] == "'@cmd"
    assert back.loc[0, "places_gained"] == "'+a"
    assert back.loc[0, "gain"] == -1  # numbers stay numbers
    sheet = pd.read_excel(io.BytesIO(tables_xlsx([table])), sheet_name="scenarios")
    assert sheet.loc[0, "intervention"] == '\'=HYPERLINK("http://x")'
    assert sheet.loc[0, "gain"] == -1
