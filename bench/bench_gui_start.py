"""GUI cold start: process start → first window painted → exit. Target ≤ 1.5 s.

    python bench/bench_gui_start.py [--runs 15] [--no-hyperfine]

Measured with hyperfine (Debian/Ubuntu: ``apt-get install hyperfine``) when it is on
PATH, else with a plain loop of fresh processes. The app runs with
``--exit-after-show``: it quits on its first paint event, so each run covers
interpreter start, imports, QApplication, theme, translations, building every page and
the first paint (plus interpreter exit, which makes the number an upper bound). A
baseline run that only imports PySide6.QtWidgets shows the part no app code can
remove. Also printed: the in-process time from ``import desktop.app`` to the first
paint, the slowest imports (``python -X importtime``) and a check that torch & co.
were not imported. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = [sys.executable, "-m", "desktop", "--exit-after-show"]
BASELINE = [sys.executable, "-c", "import PySide6.QtWidgets"]
HEAVY = ("torch", "transformers", "peft", "llama_cpp", "numpy", "gguf", "requests")
TARGET_MS = 1500.0


def _env(config_dir: Path) -> dict[str, str]:
    env = {**os.environ, "TUNEFORGE_CONFIG_DIR": str(config_dir), "PYTHONPATH": str(ROOT)}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def _quote(cmd: list[str]) -> str:
    return " ".join(f'"{c}"' if " " in c else c for c in cmd)


def run_hyperfine(env: dict[str, str], runs: int, out: Path) -> dict[str, dict[str, float]]:
    subprocess.run(
        [
            "hyperfine",
            "--warmup", "3",
            "--runs", str(runs),
            "--export-json", str(out),
            "-n", "tuneforge-gui", _quote(APP),
            "-n", "import PySide6.QtWidgets", _quote(BASELINE),
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )  # fmt: skip
    data = json.loads(out.read_text(encoding="utf-8"))
    return {
        r["command"]: {
            "mean": r["mean"] * 1000,
            "stddev": (r.get("stddev") or 0) * 1000,
            "median": r["median"] * 1000,
            "min": r["min"] * 1000,
            "max": r["max"] * 1000,
        }
        for r in data["results"]
    }


def run_loop(env: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    results = {}
    for name, cmd in (("tuneforge-gui", APP), ("import PySide6.QtWidgets", BASELINE)):
        for _ in range(3):  # warm-up: page cache, .pyc files
            subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
            times.append((time.perf_counter() - start) * 1000)
        results[name] = {
            "mean": statistics.mean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times),
            "min": min(times),
            "max": max(times),
        }
    return results


def in_process_first_paint(env: dict[str, str], runs: int = 5) -> float:
    values = []
    for _ in range(runs):
        out = subprocess.run(
            APP,
            env={**env, "TUNEFORGE_PRINT_STARTUP": "1"},
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("first paint after"))
        values.append(float(line.split()[3]))
    return statistics.median(values)


def slowest_imports(env: dict[str, str], top: int = 8) -> tuple[list[tuple[float, str]], list[str]]:
    probe = (
        "import sys\nfrom desktop.app import main\nmain(['tuneforge-gui', '--exit-after-show'])\n"
        "print('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        fields = line.split("|")
        if (
            not line.startswith("import time:")
            or len(fields) != 3
            or not fields[1].strip().isdigit()
        ):
            continue
        name = fields[2].rstrip()
        if name.startswith(" ") and not name.startswith("  "):  # nested imports are indented
            rows.append((int(fields[1]) / 1000, name.strip()))
    modules = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES")).split()[1:]
    heavy = [m for m in HEAVY if m in modules]
    return sorted(rows, reverse=True)[:top], heavy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-hyperfine", action="store_true", help="use the plain loop")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tuneforge-bench-") as tmp:
        env = _env(Path(tmp) / "config")
        use_hyperfine = bool(shutil.which("hyperfine")) and not args.no_hyperfine
        tool = "hyperfine" if use_hyperfine else "subprocess loop"
        if use_hyperfine:
            results = run_hyperfine(env, args.runs, Path(tmp) / "hyperfine.json")
        else:
            results = run_loop(env, args.runs)
        paint = in_process_first_paint(env)
        imports, heavy = slowest_imports(env)

    app, base = results["tuneforge-gui"], results["import PySide6.QtWidgets"]
    print(
        f"\n### GUI cold start ({tool}, {args.runs} runs, QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')})\n"
    )
    print(
        f"Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs\n"
    )
    print("| command | mean ± σ | median | min … max |")
    print("| --- | --- | --- | --- |")
    for name, r in (("`tuneforge-gui --exit-after-show` (start → first paint → exit)", app),
                    ("`python -c \"import PySide6.QtWidgets\"` (floor)", base)):  # fmt: skip
        print(
            f"| {name} | {r['mean']:.0f} ± {r['stddev']:.0f} ms | {r['median']:.0f} ms | {r['min']:.0f} … {r['max']:.0f} ms |"
        )
    print(f"\nIn-process, `import desktop.app` → first paint: median {paint:.0f} ms.")
    print(
        "Slowest top-level imports (cumulative): "
        + ", ".join(f"{n} {ms:.0f} ms" for ms, n in imports)
        + "."
    )
    print(
        f"Heavy modules imported at start: {', '.join(heavy) or 'none'} (checked: {', '.join(HEAVY)})."
    )
    verdict = "meets" if app["median"] <= TARGET_MS else "MISSES"
    print(f"\nMedian {app['median']:.0f} ms {verdict} the {TARGET_MS:.0f} ms target.")
    return 0 if app["median"] <= TARGET_MS and not heavy else 1


if __name__ == "__main__":
    sys.exit(main())
