"""
Lighthouse scores of the pages people open most: ``/``, ``/map/comfort``, a course page and
``/dashboard``, in Japanese, on Debian's chromium with Lighthouse's mobile profile.

The app runs under uvicorn on a free loopback port with the settings of the environment when
they have a comfort field for the demo year (``make prepare``), else on a small **simulated**
field the benchmark builds in a temporary folder (:func:`ensure_field`). Lighthouse (npm, pinned in ``tests/package.json``,
installed into ``tests/node_modules`` by ``scripts/test-setup.sh``) runs once per page with
``CHROME_PATH=/usr/bin/chromium``, the default mobile form factor and screen emulation, and
``--throttling-method=simulate`` (its default: the load is simulated on a slow 4G network and a
4× slower CPU from the trace of an unthrottled load, so no network is needed and the score does
not depend on how loaded this machine is; ``KAITEKI_BENCH_LH_THROTTLING=provided`` scores the
load as measured instead). Every request to another host would be blocked by the page's
Content-Security-Policy; Lighthouse itself is told not to fetch anything (no update checks).

Reported (``bench/results/pages.json``): ``lighthouse_<page>_<category>`` (0-100) for the
categories performance, accessibility and best_practices; ``lighthouse_<page>_s`` (wall time of
that Lighthouse run), the page's first and largest contentful paint and total blocking time
(ms, as Lighthouse computes them), its transferred bytes (kB); the reference: the same figures
for an empty static HTML page served by Python's ``http.server`` in the same run
(``lighthouse_reference_*``) and the ratio of each page's run time to it; ``targets_met``
(accessibility and best practices >= 90, performance >= 80 on every page), the audits that cost
points on a page below target, and ``peak_rss_mb`` (the largest Lighthouse + chromium process
tree) and ``server_rss_mb``.

Run: ``.venv/bin/python -m bench.pages``. Not part of ``make test`` (benchmarks only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from bench._harness import record

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO / "tests" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = Path("/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-default-apps --disable-extensions --disable-sync --no-first-run "
    "--disable-component-update --metrics-recording-only --mute-audio"
)
LANG = "ja"
#: The pages, at a time the small field covers (a January morning) when the bench builds it.
PAGES = {
    "home": "/?at=2022-01-20T08:00",
    "map_comfort": "/map/comfort?season=DJF&hour=8",
    "course": "/courses/station-susukino-underground",
    "dashboard": "/dashboard",
}
CATEGORIES = {"performance": "performance", "accessibility": "accessibility",
              "best-practices": "best_practices"}  # fmt: skip
TARGETS = {"performance": 80, "accessibility": 90, "best_practices": 90}
TIMEOUT_S = 240

EMPTY_PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="reference page for the Lighthouse benchmark">
<title>reference</title><link rel="icon" href="data:,"></head>
<body><main><h1>reference</h1><p>An empty page.</p></main></body></html>
"""


#: Demo and baseline years of the small field built when the environment has none.
SMALL_FIELD_YEARS = (2021, 2022)


def ensure_field(tmp: Path) -> str:
    """
    Make sure the app has a comfort field: the environment's (``make prepare``) when it has one
    for the demo year, else a small one built here into ``tmp`` (``KAITEKI_CACHE_DIR`` and
    ``KAITEKI_STORE`` set for the server): four **simulated** January and four July days of
    2021 and 2022 following the real daily weather (fixed seed), as the web-app tests build it.

    Returns
    -------
    str
        ``"environment"`` or ``"small simulated field"``: what the pages were measured on.
    """
    import pandas as pd

    from api import resources
    from api.settings import get_settings
    from comfort.field import build_field
    from sensors.fieldstore import field_path, save_field
    from sensors.simulate.thermal import simulate_thermal
    from sensors.weather import read_daily_weather

    settings = get_settings()
    if field_path(settings.cache_dir, settings.demo_year).exists():
        return "environment"
    os.environ["KAITEKI_CACHE_DIR"] = str(tmp / "cache")
    os.environ["KAITEKI_STORE"] = str(tmp / "store.duckdb")
    os.environ["KAITEKI_DEMO_YEAR"] = str(SMALL_FIELD_YEARS[-1])
    get_settings.cache_clear()
    resources.clear()
    settings = get_settings()
    weather = read_daily_weather(
        settings.data_file("sapporo_daily_chikaho_subway_weather_2019-2022.csv")
    )
    day = pd.DatetimeIndex(weather.index)
    for year in SMALL_FIELD_YEARS:
        parts = []
        for start, end in ((f"{year}-01-17", f"{year}-01-21"), (f"{year}-07-18", f"{year}-07-22")):
            registry, part = simulate_thermal(
                resources.graph(), weather[(day >= start) & (day < end)], year, seed=7
            )
            part.attrs = {}
            parts.append(part)
        readings = pd.concat(parts, ignore_index=True)
        local = pd.DatetimeIndex(readings["time"]).tz_convert("Asia/Tokyo").tz_localize(None)
        times = pd.DatetimeIndex(sorted(set(local.floor("h"))))
        ds = build_field(
            readings, registry, resources.segments(), resources.current().places(), times=times
        )
        save_field(ds, field_path(settings.cache_dir, year))
    return "small simulated field"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


@contextmanager
def _server(argv: list[str], probe: str, cwd: Path) -> Any:
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(probe, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _tree_rss_mb(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def lighthouse(url: str, throttling: str) -> tuple[dict[str, Any], float, float]:
    """
    One Lighthouse run of ``url``.

    Returns
    -------
    tuple
        The Lighthouse report (lhr), the run's wall time (s) and the peak resident memory of
        Lighthouse and its chromium together (MB).
    """
    with tempfile.TemporaryDirectory(prefix="kaiteki-lh-") as tmp:
        out = Path(tmp) / "report.json"
        argv = [
            str(LIGHTHOUSE), url,
            "--output=json", f"--output-path={out}", "--quiet",
            "--only-categories=performance,accessibility,best-practices",
            "--form-factor=mobile", f"--throttling-method={throttling}",
            f"--chrome-flags={CHROME_FLAGS} --user-data-dir={tmp}/profile",
            f"--locale={LANG}",
        ]  # fmt: skip
        env = {**os.environ, "CHROME_PATH": str(CHROMIUM), "CI": "1"}
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ps = psutil.Process(proc.pid)
        peak = [0.0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], _tree_rss_mb(ps))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"Lighthouse on {url} took more than {TIMEOUT_S} s") from None
        elapsed = time.perf_counter() - t0
        sampler.join()
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"Lighthouse on {url} failed (exit {proc.returncode}):\n"
                f"{err.decode(errors='replace')[-3000:]}"
            )
        lhr = json.loads(out.read_text())
    if lhr.get("runtimeError"):
        raise RuntimeError(f"Lighthouse on {url}: {lhr['runtimeError']}")
    return lhr, elapsed, peak[0]


def figures(name: str, lhr: dict[str, Any], elapsed_s: float) -> dict[str, Any]:
    """The scores and main metrics of one report, keyed ``lighthouse_<name>_<figure>``."""
    out: dict[str, Any] = {}
    for cat, key in CATEGORIES.items():
        score = lhr["categories"][cat]["score"]
        out[f"lighthouse_{name}_{key}"] = None if score is None else round(100 * score)
    audits = lhr["audits"]
    for audit, key in (
        ("first-contentful-paint", "fcp_ms"),
        ("largest-contentful-paint", "lcp_ms"),
        ("total-blocking-time", "tbt_ms"),
    ):
        value = audits.get(audit, {}).get("numericValue")
        out[f"lighthouse_{name}_{key}"] = None if value is None else round(value)
    weight = audits.get("total-byte-weight", {}).get("numericValue")
    out[f"lighthouse_{name}_transfer_kb"] = None if weight is None else round(weight / 1024, 1)
    out[f"lighthouse_{name}_s"] = round(elapsed_s, 1)
    return out


def lost_points(lhr: dict[str, Any], category: str) -> list[str]:
    """The audits of ``category`` that failed (score < 0.9), heaviest first, as ``id (score)``."""
    refs = lhr["categories"][category]["auditRefs"]
    failed = []
    for ref in refs:
        audit = lhr["audits"].get(ref["id"], {})
        score = audit.get("score")
        if ref.get("weight", 0) > 0 and score is not None and score < 0.9:
            failed.append((ref["weight"] * (1 - score), f"{ref['id']} ({score:.2f})"))
    return [label for _, label in sorted(failed, reverse=True)]


def main() -> dict[str, Any]:
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `bash scripts/test-setup.sh` (npm ci)")
    from api.http_protocol import uvicorn_argv

    throttling = os.environ.get("KAITEKI_BENCH_LH_THROTTLING", "simulate")
    results: dict[str, Any] = {"lang": LANG, "form_factor": "mobile", "throttling": throttling}
    peak = 0.0
    field_dir = tempfile.TemporaryDirectory(prefix="kaiteki-pages-")
    results["data"] = ensure_field(Path(field_dir.name))
    with tempfile.TemporaryDirectory(prefix="kaiteki-ref-") as ref_dir:
        (Path(ref_dir) / "index.html").write_text(EMPTY_PAGE, encoding="utf-8")
        ref_port = _free_port()
        ref_url = f"http://127.0.0.1:{ref_port}/index.html"
        argv = [sys.executable, "-m", "http.server", str(ref_port), "--bind", "127.0.0.1"]
        with _server(argv, ref_url, Path(ref_dir)):
            lhr, ref_s, rss = lighthouse(ref_url, throttling)
            peak = max(peak, rss)
            results.update(figures("reference", lhr, ref_s))

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    below: dict[str, list[str]] = {}
    with _server(uvicorn_argv("127.0.0.1", port), f"{base}/v1/area", REPO) as server:
        for name, path in PAGES.items():
            url = f"{base}{path}{'&' if '?' in path else '?'}lang={LANG}"
            lhr, elapsed, rss = lighthouse(url, throttling)
            peak = max(peak, rss)
            results.update(figures(name, lhr, elapsed))
            results[f"lighthouse_{name}_s_vs_reference"] = round(elapsed / ref_s, 2)
            for cat, key in CATEGORIES.items():
                score = results[f"lighthouse_{name}_{key}"]
                if score is None or score < TARGETS[key]:
                    below[f"{name}_{key}"] = lost_points(lhr, cat)[:6]
        server_rss = _tree_rss_mb(psutil.Process(server.pid))
    field_dir.cleanup()
    results["targets_met"] = not below
    results["below_target_audits"] = below
    results["peak_rss_mb"] = round(peak, 1)
    results["server_rss_mb"] = round(server_rss, 1)
    _print_table(results)
    return results


def _print_table(results: dict[str, Any]) -> None:
    print(f"\nLighthouse {results['form_factor']}, throttling {results['throttling']}, "
          f"lang={results['lang']}", file=sys.stderr)  # fmt: skip
    print("| page | performance | accessibility | best practices | LCP ms | kB | run s |")
    print("|---|---|---|---|---|---|---|")
    for name in ("reference", *PAGES):
        row = [results.get(f"lighthouse_{name}_{k}") for k in
               ("performance", "accessibility", "best_practices", "lcp_ms", "transfer_kb", "s")]  # fmt: skip
        print(f"| {name} | " + " | ".join(str(x) for x in row) + " |")


if __name__ == "__main__":
    record("pages", main())
