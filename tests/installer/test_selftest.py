"""``tuneforge --selftest`` from the source tree: every check passes, the report says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = "import sys; from desktop.launcher import cli; sys.exit(cli())"
EXPECTED_CHECKS = [
    "window",
    "model",
    "convert_f16",
    "convert_q4_k_m",
    "quantize_child",
    "llama_f16",
    "llama_q4_k_m",
    "llama_requantized",
    "modelfile",
    "template_parity",
]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    temp = str(tmp_path)
    environ = dict(os.environ, QT_QPA_PLATFORM="offscreen", TMPDIR=temp, TMP=temp, TEMP=temp)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


@pytest.mark.slow
def test_selftest_passes_and_writes_the_report(tmp_path):
    report_path = tmp_path / "报告 report" / "self test.json"
    proc = _run(["--selftest", "--selftest-report", str(report_path)], tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == EXPECTED_CHECKS
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    from engine.template.gorender import find_go

    if find_go() is None:  # no Go here: parity cannot run, which is not a failure
        assert statuses.pop("template_parity") == "not_run"
    assert set(statuses.values()) == {"passed"}, statuses
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["llama_q4_k_m"]["detail"]["text"] == "Hi from Tuneforge!"
    assert checks["quantize_child"]["detail"]["child_command"][-1] == "engine.jobs.child"
    assert checks["window"]["detail"]["title"] == "Tuneforge"
    assert Path(checks["window"]["detail"]["screenshot"]).is_file()
    assert report["environment"]["versions"]["llama_cpp"] == "0.3.36"
    # Console output: one line per check, then the JSON report.
    assert "PASSED   llama_q4_k_m" in proc.stdout
    assert '"report": "tuneforge-selftest"' in proc.stdout
    # The work folder (model, GGUFs) is removed afterwards.
    assert not list(tmp_path.glob("tuneforge-selftest-*"))


@pytest.mark.slow
def test_strict_selftest_fails_when_a_check_cannot_run(tmp_path):
    """A Go renderer that does not work: parity is not run, which --selftest-strict (the
    bundle build's mode when it ships the renderer) turns into exit code 1."""
    report_path = tmp_path / "report.json"
    broken = tmp_path / "not-a-renderer"
    broken.write_text("nothing", encoding="utf-8")
    proc = _run(
        ["--selftest", "--selftest-strict", "--selftest-report", str(report_path)],
        tmp_path,
        TUNEFORGE_GORENDER=str(broken),
    )
    assert proc.returncode == 1, proc.stdout[-4000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert report["ok"] is False and report["strict"] is True
    assert statuses.pop("template_parity") == "not_run"
    assert set(statuses.values()) == {"passed"}, statuses
