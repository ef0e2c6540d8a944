"""Run every benchmark (or the one named) in its own process and print one table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench._harness import RESULTS

HERE = Path(__file__).resolve().parent


def _names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or _names()
    unknown = [n for n in names if n not in _names()]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {_names()}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"== bench/{name}.py", flush=True)
        rc = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent)
        if rc != 0:
            failed.append(name)
    print("\n| benchmark | figures |\n|---|---|")
    for name in names:
        path = RESULTS / f"{name}.json"
        if name in failed or not path.exists():
            print(f"| {name} | FAILED |")
            continue
        data = json.loads(path.read_text())
        figs = ", ".join(f"{k}={v}" for k, v in data.items() if k not in ("machine", "timestamp"))
        print(f"| {name} | {figs} |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
