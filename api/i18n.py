"""
Japanese and English for the pages and the course API.

The language comes from ``?lang=ja|en`` when given, else from the ``Accept-Language`` header
(the first supported language by quality), else English. :func:`translator` returns a function
``t(key, **fields)`` for the templates; every key exists in both languages (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from comfort.constants import SEASON_NAMES

LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "app_title": {
        "en": "kaiteki — comfortable walking in downtown Sapporo",
        "ja": "快適 — 札幌都心の快適な歩行",
    },
    "brand": {"en": "kaiteki", "ja": "快適 kaiteki"},
    "nav_home": {"en": "Walk now", "ja": "今歩く"},
    "nav_comfort": {"en": "Comfort map", "ja": "快適マップ"},
    "nav_walkability": {"en": "Walkability", "ja": "歩きやすさ"},
    "nav_flow": {"en": "People flow", "ja": "人の流れ"},
    "nav_places": {"en": "Places", "ja": "滞在スポット"},
    "nav_dashboard": {"en": "Dashboard", "ja": "ダッシュボード"},
    "nav_api": {"en": "API", "ja": "API"},
    "lang_switch": {"en": "日本語", "ja": "English"},
    "home_heading": {
        "en": "Where is it pleasant to walk now?",
        "ja": "今、どこが歩いて気持ちいい？",
    },
    "home_intro": {
        "en": (
            "Thermal comfort on every street of downtown Sapporo for this date and hour, "
            "a comfort-aware route planner and walking courses with steps and calories."
        ),
        "ja": "札幌都心の通りごとの体感快適性（この日この時刻）、快適ルート検索、歩数とカロリーつきの散歩コース。",
    },
    "conditions_of": {
        "en": "Conditions of {date} {hour}:00 in the demo year {year} (same date and hour as now).",
        "ja": "デモ年 {year} 年の {date} {hour}時 の状態（今日と同じ日付・時刻）。",
    },
    "pleasant_now": {"en": "Pleasant now", "ja": "今快適な場所"},
    "pleasant_share": {
        "en": "{pct}% of street length has no thermal stress (UTCI 9–26 °C).",
        "ja": "通りの長さの {pct}% が熱ストレスなし（UTCI 9〜26 °C）。",
    },
    "route_planner": {"en": "Route planner", "ja": "ルート検索"},
    "route_help": {
        "en": "Tap or click the map twice: start, then destination (or find a place).",
        "ja": "地図を2回タップ：出発地、次に目的地（場所の検索も使えます）。",
    },
    "mode": {"en": "Mode", "ja": "モード"},
    "mode_shortest": {"en": "Shortest", "ja": "最短"},
    "mode_comfortable": {"en": "Comfortable", "ja": "快適"},
    "mode_winter": {"en": "Winter (underground)", "ja": "冬（地下優先）"},
    "time": {"en": "Time", "ja": "時刻"},
    "find_route": {"en": "Find route", "ja": "ルートを探す"},
    "clear": {"en": "Clear", "ja": "クリア"},
    "route_result": {
        "en": "{length} m · {minutes} min · {steps} steps · {under}% underground",
        "ja": "{length} m・{minutes} 分・{steps} 歩・地下 {under}%",
    },
    "route_result_km": {
        "en": "{length} · {minutes} min · {steps} steps · {under}% underground",
        "ja": "{length}・{minutes} 分・{steps} 歩・地下 {under}%",
    },
    "route_vs_shortest": {
        "en": "Shortest route: {length} m · {minutes} min",
        "ja": "最短ルート：{length} m・{minutes} 分",
    },
    "courses": {"en": "Walking courses", "ja": "散歩コース"},
    "course": {"en": "Course", "ja": "コース"},
    "length": {"en": "Length", "ja": "距離"},
    "minutes": {"en": "Time", "ja": "所要時間"},
    "steps": {"en": "Steps", "ja": "歩数"},
    "calories": {"en": "Energy", "ja": "消費エネルギー"},
    "kcal": {"en": "kcal", "ja": "kcal"},
    "min": {"en": "min", "ja": "分"},
    "calories_note": {
        "en": (
            "Energy (kcal) = MET × body mass (kg) × hours, with 3.5 MET for walking at "
            "2.8–3.2 mph on a level firm surface (Compendium of Physical Activities 2011, code "
            "17190), a 60 kg adult and the walking time shown."
        ),
        "ja": (
            "消費エネルギー（kcal）＝ MET × 体重（kg）× 時間。平地を時速約4.8 kmで歩く 3.5 MET"
            "（身体活動のメッツ表 2011、コード17190）、体重60 kg、表示の所要時間で計算。"
        ),
    },
    "steps_note": {
        "en": "Steps = length / 0.7 m (mean adult step length).",
        "ja": "歩数＝距離÷0.7 m（大人の平均歩幅）。",
    },
    "comfort_by_season": {"en": "Comfort by season", "ja": "季節ごとの快適さ"},
    "season": {"en": "Season", "ja": "季節"},
    "year": {"en": "Year", "ja": "年"},
    "store_busy": {
        "en": "The data store is busy (an import is running); reload in a minute.",
        "ja": "データの取り込み中です。1分ほどしてから再読み込みしてください。",
    },
    # season_DJF ... season_SON: from comfort.constants.SEASON_NAMES (added below)
    "comfortable_share": {"en": "No thermal stress", "ja": "熱ストレスなし"},
    "mean_utci": {"en": "Mean UTCI (°C)", "ja": "平均UTCI（°C）"},
    "daytime_note": {
        "en": "Daytime hours 10:00–18:00 of the demo year {year}.",
        "ja": "デモ年 {year} 年の日中（10〜18時）。",
    },
    "underground_alt": {"en": "Underground alternative in winter", "ja": "冬の地下ルート"},
    "underground_alt_text": {
        "en": "In winter the route through the heated walkways is {length} m ({under}% underground, {minutes} min).",
        "ja": "冬は暖かい地下歩行空間を通るルート：{length} m（地下 {under}%、{minutes} 分）。",
    },
    "underground_same": {
        "en": "This course already uses the underground walkways where they exist.",
        "ja": "このコースは地下歩行空間をすでに利用しています。",
    },
    "no_underground": {
        "en": "No underground walkway lies along this course; dress for the weather.",
        "ja": "このコースに地下歩行空間はありません。天候に合った服装で。",
    },
    "waypoints": {"en": "Waypoints", "ja": "経由地"},
    "comfort_heading": {"en": "Comfort by street", "ja": "通りごとの快適さ"},
    "comfort_intro": {
        "en": "Mean UTCI of each street for an hour of the day in a season, demo year {year}.",
        "ja": "季節ごと・時刻ごとの通りの平均UTCI（デモ年 {year} 年）。",
    },
    "hour": {"en": "Hour", "ja": "時刻"},
    "show": {"en": "Show", "ja": "表示"},
    "legend_utci": {"en": "UTCI category", "ja": "UTCI区分"},
    "walk_heading": {"en": "Walkability", "ja": "歩きやすさ"},
    "walk_intro": {
        "en": "Composite walkability index (0–100) per census block: reach, intersections and destinations within walking time.",
        "ja": "町丁目ごとの歩きやすさ指数（0〜100）：到達範囲、交差点密度、徒歩圏の目的地。",
    },
    "level": {"en": "Level", "ja": "単位"},
    "flow_heading": {"en": "People flow and dwell", "ja": "人流と滞留"},
    "flow_intro": {
        "en": "Chi-Ka-Ho counters J1–J5 (real daily data, Sapporo City) and the MLIT 1 km mesh stay population (real, 2019–2020).",
        "ja": "チ・カ・ホの人流センサー J1〜J5（札幌市の実データ、日別）と国土交通省 1 km メッシュ滞在人口（実データ、2019〜2020年）。",
    },
    "chikaho_daily": {"en": "Chi-Ka-Ho daily counts", "ja": "チ・カ・ホ 日別通行量"},
    "mesh_month": {"en": "Month", "ja": "月"},
    "daytype": {"en": "Day type", "ja": "曜日区分"},
    "places_heading": {"en": "Comfortable places", "ja": "快適に過ごせる場所"},
    "places_intro": {
        "en": "Places where people spend time, comfortable in {year} against the baseline year {baseline}.",
        "ja": "人が過ごす場所の快適性：{year} 年と基準年 {baseline} 年の比較。",
    },
    "place": {"en": "Place", "ja": "場所"},
    "indoor": {"en": "Indoor", "ja": "屋内"},
    "outdoor": {"en": "Outdoor", "ja": "屋外"},
    "comfortable": {"en": "Comfortable", "ja": "快適"},
    "not_comfortable": {"en": "Not comfortable", "ja": "快適でない"},
    "new_comfortable": {"en": "Newly comfortable", "ja": "新たに快適"},
    "baseline": {"en": "Baseline", "ja": "基準年"},
    "current": {"en": "Current", "ja": "現在"},
    "dash_heading": {"en": "Planners' dashboard", "ja": "計画者向けダッシュボード"},
    "kpi_places": {"en": "Comfortable places", "ja": "快適に過ごせる場所"},
    "kpi_steps": {"en": "Participants' daily steps", "ja": "参加者の1日歩数"},
    "kpi_views": {"en": "Walking-content views", "ja": "歩行コンテンツ閲覧数"},
    "target": {"en": "Target", "ja": "目標"},
    "ratio": {"en": "Ratio", "ja": "比率"},
    "progress": {"en": "Progress", "ja": "進捗"},
    "adjusted": {"en": "season-adjusted", "ja": "季節調整"},
    "raw": {"en": "raw", "ja": "未調整"},
    "suppressed": {
        "en": "suppressed (fewer than {k} participants)",
        "ja": "非表示（参加者 {k} 人未満）",
    },
    "no_data": {"en": "no data yet", "ja": "データなし"},
    "scenarios": {"en": "Scenario results", "ja": "シナリオ結果"},
    "intervention": {"en": "Intervention", "ja": "対策"},
    "places_table": {"en": "Places", "ja": "場所一覧"},
    "simulated": {"en": "simulated", "ja": "シミュレーション（simulated）"},
    "simulated_note": {
        "en": 'Street thermal readings, 15-minute counts and questionnaires are simulated (no real street sensors yet); labelled "simulated".',
        "ja": "街路の温熱センサー値・15分人流・アンケートはシミュレーション（simulated）です。",
    },
    "sources": {"en": "Data sources", "ja": "データ出典"},
    "not_prepared": {
        "en": "Not prepared yet: {what}. Run `make prepare` (or the command shown) and reload.",
        "ja": "未準備：{what}。データの準備（管理者の作業）が済むと表示されます。",
    },
    "open": {"en": "open", "ja": "開く"},
    "views": {"en": "views", "ja": "閲覧"},
    "unit_places": {"en": "places", "ja": "か所"},
    "unit_steps_per_day": {"en": "steps / day", "ja": "歩／日"},
    "unit_views_per_day": {"en": "views / day", "ja": "閲覧／日"},
    # conditions notes (condition_notes): shown whenever a source is not ``exact``
    "cond_field_other_year": {
        "en": "Comfort: showing the same date and hour of {year}.",
        "ja": "快適性：{year}年の同じ日時のデータを表示しています。",
    },
    "cond_field_climatology": {
        "en": "Comfort: mean of the same date and hour over the years with a field.",
        "ja": "快適性：各年の同じ日時の平均を表示しています。",
    },
    "cond_field_none": {
        "en": "Comfort: no comfort field for this date and hour; routes use distance only.",
        "ja": "快適性：この日時の快適性データがないため、ルートは距離のみで計算しています。",
    },
    "cond_snow_other_year": {
        "en": "Snow depth {cm} cm: the same date of {year} (real Sapporo record).",
        "ja": "積雪深 {cm} cm：{year}年の同じ日の実測値です（札幌）。",
    },
    "cond_snow_climatology": {
        "en": "Snow depth {cm} cm: mean of the same days over 2019–2022 (real Sapporo record).",
        "ja": "積雪深 {cm} cm：2019〜2022年の同じ時期の平均です（札幌の実測）。",
    },
    "cond_snow_season": {
        "en": "Snow depth {cm} cm: mean of this season over 2019–2022 (real Sapporo record).",
        "ja": "積雪深 {cm} cm：2019〜2022年のこの季節の平均です（札幌の実測）。",
    },
    "cond_snow_given": {
        "en": "Snow depth {cm} cm (given).",
        "ja": "積雪深 {cm} cm（指定値）。",
    },
    "cond_snow_none": {
        "en": "Snow depth: no record for this date; taken as 0 cm.",
        "ja": "積雪深：この日の記録がないため 0 cm としています。",
    },
    "cond_weather_other_year": {
        "en": "Weather: the same date of {year} (real Sapporo record).",
        "ja": "天気：{year}年の同じ日の実測値です（札幌）。",
    },
    "cond_weather_climatology": {
        "en": "Weather: mean of the same days over 2019–2022 (real Sapporo record).",
        "ja": "天気：2019〜2022年の同じ時期の平均です（札幌の実測）。",
    },
    "cond_weather_none": {
        "en": "Weather: no record for this date.",
        "ja": "天気：この日の記録はありません。",
    },
    "cond_walkways_closed": {
        "en": "Closed at this hour: {names}.",
        "ja": "この時間は閉鎖中：{names}。",
    },
    # the five-level comfort scale (comfort.advice) and its advice
    "comfort_scale": {"en": "How it feels", "ja": "体感の目安"},
    "level_very_cold": {"en": "Very cold", "ja": "とても寒い"},
    "level_cold": {"en": "Cold", "ja": "寒い"},
    "level_comfortable": {"en": "Comfortable", "ja": "快適"},
    "level_hot": {"en": "Hot", "ja": "暑い"},
    "level_very_hot": {"en": "Very hot", "ja": "とても暑い"},
    "advice_very_cold": {
        "en": "Take the underground walkways.",
        "ja": "地下がおすすめ",
    },
    "advice_cold": {
        "en": "Choose sunny, sheltered streets; dress warmly.",
        "ja": "日なたの道を選んで、暖かい服装で",
    },
    "advice_comfortable": {"en": "Any street is pleasant.", "ja": "どの道も気持ちよく歩けます"},
    "advice_hot": {"en": "Choose the shade.", "ja": "日陰を選んで"},
    "advice_very_hot": {
        "en": "Take the underground walkways or stay indoors; drink water.",
        "ja": "地下か屋内がおすすめ、水分補給を",
    },
    # the route result card
    "route_card": {"en": "Your route", "ja": "ルート"},
    "card_minutes": {"en": "{n} min", "ja": "{n} 分"},
    "card_steps": {"en": "{n} steps", "ja": "{n} 歩"},
    "card_kcal": {"en": "{n} kcal", "ja": "{n} キロカロリー"},
    "card_cold": {
        "en": "Cold stress: {route} min (shortest route: {shortest} min)",
        "ja": "寒さのストレス：{route} 分（最短ルート：{shortest} 分）",
    },
    "card_heat": {
        "en": "Heat stress: {route} min (shortest route: {shortest} min)",
        "ja": "暑さのストレス：{route} 分（最短ルート：{shortest} 分）",
    },
    "card_no_stress": {
        "en": "No thermal stress: {route} min (shortest route: {shortest} min)",
        "ja": "熱ストレスなし：{route} 分（最短ルート：{shortest} 分）",
    },
    "card_walkways": {"en": "Walkways used", "ja": "利用する地下歩行空間"},
    "card_no_walkways": {"en": "No walkway on this route.", "ja": "地下歩行空間は通りません。"},
    "card_snow": {"en": "Snow depth {cm} cm", "ja": "積雪 {cm} cm"},
    "card_closed": {
        "en": "The walkways are closed at this hour ({names}): the route stays on the surface.",
        "ja": "この時間は地下歩行空間が閉鎖中です（{names}）。地上のルートです。",
    },
    "card_turns": {"en": "Directions", "ja": "道順"},
    "card_vs_shortest": {
        "en": "Shortest route: {km} · {minutes} min",
        "ja": "最短ルート：{km}・{minutes} 分",
    },
    "why_shortest": {
        "en": "The shortest route, by distance only.",
        "ja": "距離だけで選んだ最短ルートです。",
    },
    "why_same": {
        "en": "The shortest route is also the most comfortable one now.",
        "ja": "今は最短ルートがいちばん快適なルートでもあります。",
    },
    "why_less_stress": {
        "en": "Chosen because it spends {saved} fewer minutes in thermal stress than the shortest route, for {extra} more minutes of walking.",
        "ja": "最短ルートより熱ストレスの時間が {saved} 分短いため選びました（歩く時間は {extra} 分長くなります）。",
    },
    "why_less_stress_no_extra": {
        "en": "Chosen because it spends {saved} fewer minutes in thermal stress than the shortest route, for no longer a walk.",
        "ja": "最短ルートより熱ストレスの時間が {saved} 分短く、歩く時間も変わらないため選びました。",
    },
    "why_underground": {
        "en": "Chosen because {pct}% of it is underground, out of the snow and wind.",
        "ja": "{pct}% が地下で、雪や風を避けられるため選びました。",
    },
    "why_closed": {
        "en": "The walkways are closed at this hour, so the route stays on the surface.",
        "ja": "地下歩行空間が閉鎖中のため、地上を通るルートです。",
    },
    "why_no_field": {
        "en": "No comfort data for this hour: the route is chosen by distance.",
        "ja": "この時間の快適性データがないため、距離で選んだルートです。",
    },
    "unnamed_street": {"en": "an unnamed street", "ja": "名称のない道"},
    "turn_depart": {"en": "Start on {name}", "ja": "{name}を出発"},
    "turn_straight": {"en": "Continue onto {name}", "ja": "直進して{name}へ"},
    "turn_slight_left": {"en": "Bear left onto {name}", "ja": "やや左へ進み{name}へ"},
    "turn_left": {"en": "Turn left onto {name}", "ja": "左折して{name}へ"},
    "turn_sharp_left": {"en": "Turn sharp left onto {name}", "ja": "左に大きく曲がり{name}へ"},
    "turn_slight_right": {"en": "Bear right onto {name}", "ja": "やや右へ進み{name}へ"},
    "turn_right": {"en": "Turn right onto {name}", "ja": "右折して{name}へ"},
    "turn_sharp_right": {"en": "Turn sharp right onto {name}", "ja": "右に大きく曲がり{name}へ"},
    "turn_uturn": {"en": "Turn back onto {name}", "ja": "引き返して{name}へ"},
    "turn_enter_walkway": {"en": "Go down into {name}", "ja": "{name}へ下りる"},
    "turn_leave_walkway": {"en": "Go up to {name}", "ja": "地上に出て{name}へ"},
    "turn_arrive": {"en": "Arrive", "ja": "到着"},
    "conditions_at": {
        "en": "Conditions of {when} (comfort field {year}).",
        "ja": "{when}の状況（{year}年の快適性データ）。",
    },
    "comfort_field_of": {"en": "comfort field {year}", "ja": "{year}年の快適性データ"},
    "data_age": {
        "en": "Newest data: {minutes} min old.",
        "ja": "最新データは{minutes}分前のものです。",
    },
    "err_internal_short": {
        "en": "The route could not be computed: try again.",
        "ja": "ルートを計算できませんでした。もう一度お試しください。",
    },
    "daytype_weekday": {"en": "weekday", "ja": "平日"},
    "daytype_holiday": {"en": "holiday", "ja": "休日"},
    "daytype_all": {"en": "all days", "ja": "全日"},
    "mesh_legend": {"en": "MLIT stay population", "ja": "国土交通省 滞在人口"},
    "flow_counters_note": {
        "en": "Chi-Ka-Ho J1–J5: circles sized by the mean count per 15 min over the last year of the file (real data); positions along the walkway are approximate (J1 north … J5 south).",
        "ja": "チ・カ・ホの計測地点 J1〜J5：円の大きさはファイル最後の1年間の15分あたり平均通行量（実測）。地下歩行空間上の位置は概略です（J1が北、J5が南）。",
    },
    "chikaho_suffix": {"en": " (J1–J5, real)", "ja": "（J1〜J5、実測）"},
    "chikaho_ylabel": {"en": "count / 15 min (monthly mean)", "ja": "15分あたり人数（月平均）"},
    "level_map_block": {"en": "census block", "ja": "町丁目"},
    "level_map_grid": {"en": "100 m grid", "ja": "100 m メッシュ"},
    "level_map_edge": {"en": "street segment", "ja": "街路区間"},
    "locate_me": {"en": "My location", "ja": "現在地"},
    "search_landmark": {"en": "Find a place", "ja": "場所を探す"},
    "search_placeholder": {"en": "e.g. TV Tower", "ja": "例：テレビ塔"},
    "search_none": {"en": "No landmark matches.", "ja": "該当する場所がありません。"},
    "set_start": {"en": "Set as start", "ja": "出発地にする"},
    "set_end": {"en": "Set as destination", "ja": "目的地にする"},
    "locate_failed": {
        "en": "Your location is not available.",
        "ja": "現在地を取得できませんでした。",
    },
    "route_working": {"en": "Searching…", "ja": "検索中…"},
    "now_label": {"en": "Now", "ja": "現在"},
    "datetime_fmt": {"en": "{month}/{day} {hour}:00", "ja": "{month}月{day}日 {hour}時"},
    # errors (api.errors): one message per error code, in the request's language
    "err_not_found": {
        "en": "Not found: check the address.",
        "ja": "見つかりません。アドレスを確認してください。",
    },
    "err_page_not_found": {
        "en": "This page does not exist.",
        "ja": "このページはありません。",
    },
    "err_back_home": {"en": "Back to the start page", "ja": "トップページへ戻る"},
    "err_invalid": {
        "en": "A value in the request is not usable: check it and try again.",
        "ja": "入力値が正しくありません。確認してもう一度お試しください。",
    },
    "err_no_route": {
        "en": "No walking route between these points at this time: pick points closer to the streets.",
        "ja": "この時間、この2地点を結ぶ徒歩ルートが見つかりません。通りの近くを選んでください。",
    },
    "err_not_prepared": {
        "en": "The data this needs is not prepared yet: try again later.",
        "ja": "必要なデータがまだ準備されていません。しばらくしてからお試しください。",
    },
    "err_busy": {
        "en": "The server is busy: try again in a moment.",
        "ja": "サーバーが混み合っています。少し待ってからお試しください。",
    },
    "err_auth": {
        "en": "An API key is missing or not valid.",
        "ja": "APIキーがないか、無効です。",
    },
    "err_too_large": {
        "en": "The request is too large: split it.",
        "ja": "リクエストが大きすぎます。分けて送ってください。",
    },
    "err_internal": {
        "en": "Internal error: the server log has the details under request id {request_id}.",
        "ja": "内部エラーが発生しました（リクエスト番号 {request_id}）。",
    },
    "err_bad_request": {
        "en": "The request could not be read.",
        "ja": "リクエストを読み取れませんでした。",
    },
}

#: Japanese names of the walkways (the graph's ``name_ja``, sensors.area), by English name.
WALKWAY_NAMES_JA = {
    "Chi-Ka-Ho": "札幌駅前通地下歩行空間（チ・カ・ホ）",
    "Odori concourse": "大通駅コンコース",
    "Pole Town": "さっぽろ地下街ポールタウン",
    "Aurora Town": "さっぽろ地下街オーロラタウン",
}


def walkway_name(name_en: str, lang: str) -> str:
    """
    A walkway's name in ``lang``.

    Examples
    --------
    >>> walkway_name("Pole Town", "ja")
    'さっぽろ地下街ポールタウン'
    """
    return WALKWAY_NAMES_JA.get(name_en, name_en) if lang == "ja" else name_en


# Season labels come from the one season naming (comfort.constants): ``season_<code>``.
MESSAGES.update({f"season_{code}": dict(names) for code, names in SEASON_NAMES.items()})


def negotiate(lang: str | None, accept_language: str | None) -> str:
    """
    The page language from ``?lang=`` or the ``Accept-Language`` header.

    Examples
    --------
    >>> negotiate("ja", None)
    'ja'
    >>> negotiate(None, "ja-JP,ja;q=0.9,en;q=0.8")
    'ja'
    >>> negotiate(None, "fr-FR,en;q=0.5,ja;q=0.7")
    'ja'
    >>> negotiate(None, None)
    'en'
    """
    if lang:
        code = lang.strip().lower()[:2]
        if code in LANGUAGES:
            return code
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for i, part in enumerate(accept_language.split(",")):
            pieces = part.strip().split(";")
            code = pieces[0].strip().lower()[:2]
            q = 1.0
            for p in pieces[1:]:
                key, _, value = p.strip().partition("=")
                if key == "q":
                    try:
                        q = float(value)
                    except ValueError:
                        q = 0.0
            if code in LANGUAGES and q > 0:
                ranked.append((-q, i, code))
        if ranked:
            return min(ranked)[2]
    return DEFAULT_LANGUAGE


def translator(lang: str) -> Callable[..., str]:
    """
    A function ``t(key, **fields)`` returning the message in ``lang`` with fields filled in.

    An unknown key returns the key itself, so a missing translation shows up on the page rather
    than failing the request; ``tests/api/test_i18n.py`` checks that every key has both languages.

    Examples
    --------
    >>> translator("ja")("steps")
    '歩数'
    >>> translator("en")("pleasant_share", pct=42)
    '42% of street length has no thermal stress (UTCI 9–26 °C).'
    """

    def t(key: str, **fields: object) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
        return text.format(**fields) if fields else text

    return t


def condition_notes(conditions: Mapping[str, Any], lang: str) -> list[str]:
    """
    A short note for each part of a ``conditions`` object (``Conditions.to_dict()``) whose
    source is not ``exact``, and for walkways closed at that hour, in ``lang``.

    Examples
    --------
    >>> cond = {"field_source": "same_day_other_year", "field_year": 2022,
    ...         "snow_source": "exact", "snow_depth_cm": 12.0, "snow_date": "2022-01-20",
    ...         "weather": {"source": "exact"}, "walkways_closed": []}
    >>> condition_notes(cond, "ja")
    ['快適性：2022年の同じ日時のデータを表示しています。']
    """
    t = translator(lang)
    notes: list[str] = []
    field_source = conditions.get("field_source", "none")
    if field_source == "same_day_other_year":
        notes.append(t("cond_field_other_year", year=conditions.get("field_year")))
    elif field_source in ("climatology", "none"):
        notes.append(t(f"cond_field_{field_source}"))
    snow_source = conditions.get("snow_source", "none")
    cm = f"{conditions.get('snow_depth_cm') or 0:.0f}"
    snow_date = conditions.get("snow_date")
    if snow_source == "same_day_other_year":
        notes.append(t("cond_snow_other_year", cm=cm, year=str(snow_date)[:4]))
    elif snow_source == "climatology" and conditions.get("aggregation"):
        notes.append(t("cond_snow_season", cm=cm))
    elif snow_source in ("climatology", "given", "none"):
        notes.append(t(f"cond_snow_{snow_source}", cm=cm))
    weather = conditions.get("weather") or {}
    weather_source = weather.get("source", "none")
    if weather_source == "same_day_other_year":
        notes.append(t("cond_weather_other_year", year=str(weather.get("date"))[:4]))
    elif weather_source == "climatology" and conditions.get("aggregation"):
        pass  # a season mean: its weather is a mean of the season by construction
    elif weather_source in ("climatology", "none"):
        notes.append(t(f"cond_weather_{weather_source}"))
    closed = conditions.get("walkways_closed") or []
    if closed:
        sep = "、" if lang == "ja" else ", "
        names = sep.join(walkway_name(n, lang) for n in closed)
        notes.append(t("cond_walkways_closed", names=names))
    return notes


def turn_text(turn: Mapping[str, Any], lang: str) -> str:
    """
    One turn instruction (:meth:`comfort.routing.Turn.to_dict`) as a sentence in ``lang``.

    Examples
    --------
    >>> turn_text({"action": "left", "name_ja": "北1条通", "name_en": "Kita 1-jo-dori"}, "ja")
    '左折して北1条通へ'
    >>> turn_text({"action": "arrive", "name_ja": "", "name_en": ""}, "en")
    'Arrive'
    """
    t = translator(lang)
    name = turn.get("name_ja" if lang == "ja" else "name_en") or t("unnamed_street")
    return t(f"turn_{turn['action']}", name=name)


def route_reason_text(reason: Mapping[str, Any], lang: str) -> str:
    """
    The sentence saying why a route was chosen, from its reason code and figures.

    Examples
    --------
    >>> route_reason_text({"code": "less_stress", "saved": 12, "extra": 3}, "en")[:40]
    'Chosen because it spends 12 fewer minute'
    """
    fields = {k: v for k, v in reason.items() if k != "code"}
    code = reason["code"]
    if code == "less_stress" and not fields.get("extra"):
        code = "less_stress_no_extra"
    return translator(lang)(f"why_{code}", **fields)


def format_int(n: float) -> str:
    """
    A count with thousands separators, as every page writes it (``2,123``).

    Examples
    --------
    >>> format_int(2123.4)
    '2,123'
    """
    return f"{round(n):,}"


def format_km(length_m: float) -> str:
    """
    A distance in km with two decimals (``1.99 km``); under 1 km in whole metres.

    Examples
    --------
    >>> format_km(1986.0), format_km(480.4)
    ('1.99 km', '480 m')
    """
    if length_m < 1000:
        return f"{round(length_m)} m"
    return f"{length_m / 1000:.2f} km"


def format_datetime(when: Any, lang: str) -> str:
    """
    A date and hour as every page writes it (``11月27日 21時``, ``11/27 21:00``).

    Examples
    --------
    >>> import datetime as dt
    >>> format_datetime(dt.datetime(2026, 11, 27, 21, 5), "ja")
    '11月27日 21時'
    """
    return translator(lang)("datetime_fmt", month=when.month, day=when.day, hour=when.hour)


#: The formatting helpers every template gets (the same rules as ``maps/static/kaiteki/format.js``).
FORMATTERS = {"int": format_int, "km": format_km, "datetime": format_datetime}


def advice_text(level: str, lang: str) -> str:
    """
    A comfort level's name and advice in plain words (:mod:`comfort.advice`).

    Examples
    --------
    >>> advice_text("very_cold", "ja")
    'とても寒い：地下がおすすめ'
    """
    t = translator(lang)
    return t(f"level_{level}") + ("：" if lang == "ja" else ": ") + t(f"advice_{level}")
