"""The planners' dashboard, its printable report and the scenario builder."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.services.dashboard import TABLES


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_dashboard_by_season_and_place_with_threshold(client: TestClient, lang: str) -> None:
    r = client.get(f"/dashboard?lang={lang}")
    assert r.status_code == 200, r.text
    html = r.text
    for table in ("table-seasons", "table-places", "table-progress", "table-scenarios"):
        assert f'id="{table}"' in html
    for name in TABLES:
        assert f"/dashboard/download/{name}.csv?lang={lang}" in html
        assert f"/dashboard/download/{name}.xlsx?lang={lang}" in html
    assert "/dashboard/report" in html and "/dashboard/scenarios" in html
    # one year for every card (the demo year) with the baseline, the threshold stated
    if lang == "ja":
        assert "2022 年（デモ年）" in html and "基準年 2021 年" in html
        assert "閾値: 対象時間の 60 %" in html and "閾値までの差（ポイント）" in html
        assert "冬（12〜2月）" in html and "2030年目標（倍）" in html
    else:
        assert "2022 (the demo year) against the baseline year 2021" in html
        assert "Threshold: 60 % of counted hours" in html
        assert "Distance to threshold (pt)" in html and "Winter (Dec–Feb)" in html
    assert html.count("<svg") >= 2  # season and progress charts, server-side
    assert 'class="sim"' in html  # simulated inputs say so
    # the scenario table names interventions, not codes, and labels its columns
    assert '<th class="num">+</th>' not in html


def test_progress_chart_draws_the_path_to_the_targets(client: TestClient) -> None:
    html = client.get("/dashboard?lang=en").text
    assert "target 2023: 1.22×" in html and "target 2030: 2.00×" in html
    assert "planned path" in html


def test_report_is_printable_one_section_per_page(client: TestClient) -> None:
    r = client.get("/dashboard/report?lang=ja")
    assert r.status_code == 200, r.text
    html = r.text
    sections = re.findall(r'<section class="report-section" id="([a-z-]+)"', html)
    assert sections == ["summary", "report-seasons", "report-places", "report-progress",
                        "report-scenarios", "report-sources"]  # fmt: skip
    assert "/static/kaiteki/report.css" in html and "window.print()" in html
    assert html.count("<svg") >= 2
    assert "シミュレーション" in html or 'class="sim"' in html
    css = client.get("/static/kaiteki/report.css").text
    assert "@page { size: A4" in css and "break-after: page" in css


def test_scenario_builder_several_places_and_interventions(client: TestClient) -> None:
    kpi = client.get("/v1/kpi").json()["places"]
    outdoor = [p["place_id"] for p in kpi["places"] if p["kind"] == "outdoor" and p["counted"]]
    assert len(outdoor) >= 2
    picked = ["clock-tower-garden", "soseigawa-park"]
    assert set(picked) <= set(outdoor)
    query = "&".join(
        [f"place={p}" for p in picked]
        + [f"intervention={k}" for k in ("shade", "wind_screen", "warm_shelter", "mist")]
    )
    r = client.get(f"/dashboard/scenarios?lang=en&{query}")
    assert r.status_code == 200, r.text
    html = r.text
    assert 'id="scenario-steps"' in html
    steps = re.search(r'<table id="scenario-steps">(.*?)</table>', html, re.S)
    assert steps is not None
    body = steps.group(1)
    assert body.count("<tr>") >= 1 + 2  # header + several actions
    assert "Sapporo Clock Tower garden" in body and "Soseigawa Park" in body
    assert "Wind screen" in body or "wind screen" in body
    assert "kaiteki kpi scenario --intervention" in html
    assert "Plan to 2×" in html


def test_scenario_builder_lists_pairs_that_do_not_apply(client: TestClient) -> None:
    kpi = client.get("/v1/kpi").json()["places"]
    indoor = [p["place_id"] for p in kpi["places"] if p["kind"] == "indoor"]
    assert indoor
    r = client.get(f"/dashboard/scenarios?lang=en&place={indoor[0]}&intervention=shade")
    assert r.status_code == 200
    assert 'id="scenario-skipped"' in r.text and "applies to" in r.text
    ja = client.get(f"/dashboard/scenarios?lang=ja&place={indoor[0]}&intervention=shade").text
    assert "この種類の場所には適用できません" in ja
