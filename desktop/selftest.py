"""``tuneforge --selftest``: prove that this installation (frozen or not) really works.

Checks, in order, each timed and recorded:

- ``window``: the main window opens (offscreen unless ``QT_QPA_PLATFORM`` says otherwise),
  shows, paints, and the app icon loads from the bundled resources;
- ``model``: a tiny Qwen2 model is written (``engine.selftest_model``) into a folder whose
  path has spaces and Chinese characters;
- ``convert_f16`` / ``convert_q4_k_m``: the single-pass converter writes both GGUFs;
- ``quantize_child``: llama.cpp's quantizer turns the F16 GGUF into Q4_K_M in a job child
  process (the frozen app starts itself with ``--job-child`` for that);
- ``llama_*``: llama.cpp loads each GGUF, tokenizes like the tokenizer, and answers the
  model's wired reply ("Hi from Tuneforge!") greedily;
- ``modelfile``: the Modelfile builder derives the Ollama template (ChatML family),
  renders the Modelfile and parses it back;
- ``template_parity``: the derived template renders like the Jinja one under Go's
  text/template. Without a Go renderer this is ``not_run`` — a failure only with
  ``--selftest-strict``.

A JSON report (every check's status, timings and details, plus versions) is printed
(console) and written to ``--selftest-report PATH`` (default: the temp folder). Exit
code 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPORT_NAME = "tuneforge-selftest.json"
PASSED, FAILED, NOT_RUN = "passed", "failed", "not_run"


class NotRun(Exception):
    """A check that could not run here (not a failure unless strict)."""


@dataclass
class CheckResult:
    name: str
    status: str
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class SelftestState:
    work_dir: Path
    report_path: Path
    results: list[CheckResult] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)

    def passed(self, name: str) -> bool:
        return any(r.name == name and r.status == PASSED for r in self.results)


def default_report_path() -> Path:
    return Path(tempfile.gettempdir()) / REPORT_NAME


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tuneforge --selftest", add_help=True)
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--selftest-report", type=Path, default=None, metavar="PATH")
    parser.add_argument(
        "--selftest-strict", action="store_true", help="a check that cannot run is a failure"
    )
    parser.add_argument(
        "--selftest-keep", action="store_true", help="keep the work folder (model, GGUFs)"
    )
    args, _unknown = parser.parse_known_args(argv)
    return args


# -- the checks ------------------------------------------------------------------------
def check_window(state: SelftestState) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["TUNEFORGE_CONFIG_DIR"] = str(state.work_dir / "config")  # never the user's
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QCoreApplication, qVersion
    from PySide6.QtWidgets import QApplication

    from desktop import i18n, jobs, theme
    from desktop.main_window import MainWindow
    from desktop.settings import SettingsStore

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    i18n.set_language("en")
    theme.apply_theme("light")
    icon = theme.app_icon()
    icon_image = icon.pixmap(64, 64).toImage()
    if icon.isNull() or icon_image.isNull() or _distinct_colors(icon_image) < 2:
        raise RuntimeError("the app icon did not load (are resources/icons bundled?)")

    window = MainWindow(SettingsStore())
    try:
        window.show()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            handle = window.windowHandle()
            if window.isVisible() and handle is not None and handle.isExposed():
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the main window did not become visible within 15 s")
        image = window.grab().toImage()
        if image.isNull() or image.width() < 400 or image.height() < 300:
            raise RuntimeError(f"the window painted a {image.width()}x{image.height()} image")
        colors = _distinct_colors(image)
        if colors < 4:
            raise RuntimeError(f"the window painted only {colors} colours (blank?)")
        screenshot = state.report_path.with_suffix(".png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        saved = image.save(str(screenshot))
        return {
            "platform_plugin": QApplication.platformName(),
            "qt": qVersion(),
            "pyside6": pyside_version,
            "title": window.windowTitle(),
            "size": [image.width(), image.height()],
            "colours_sampled": colors,
            "screenshot": str(screenshot) if saved else None,
        }
    finally:
        monitor = getattr(window, "monitor", None)
        if monitor is not None:
            monitor.stop()
        jobs.cancel_all(wait_seconds=5.0)
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()


def _distinct_colors(image: Any, limit: int = 64) -> int:
    """Distinct pixel values on a coarse grid (enough to tell a painted image from a blank one)."""
    seen: set[int] = set()
    step_x, step_y = max(1, image.width() // 40), max(1, image.height() // 40)
    for y in range(0, image.height(), step_y):
        for x in range(0, image.width(), step_x):
            seen.add(image.pixel(x, y))
            if len(seen) >= limit:
                return len(seen)
    return len(seen)


def check_model(state: SelftestState) -> dict[str, Any]:
    from engine.selftest_model import write_selftest_model

    model = write_selftest_model(state.work_dir / "tiny qwen2 模型")
    state.artifacts["model"] = model
    size = sum(p.stat().st_size for p in model.model_dir.iterdir())
    return {"model_dir": str(model.model_dir), "bytes": size, "tokens": model.n_tokens}


def _convert(state: SelftestState, out_type: str) -> dict[str, Any]:
    from engine.convert import ConvertSpec, convert_job
    from engine.jobs import null_context

    model = _needs(state, "model")
    output = state.work_dir / "gguf 输出" / f"selftest-{out_type}.gguf"
    result = convert_job(
        ConvertSpec(model_dir=model.model_dir, output=output, out_type=out_type), null_context()
    )
    state.artifacts[f"gguf_{out_type}"] = result.output
    return {
        "output": str(result.output),
        "bytes": result.size_bytes,
        "sha256": result.sha256,
        "tensors": result.n_tensors,
        "architecture": result.architecture,
        "out_type": result.out_type,
    }


def check_quantize_child(state: SelftestState) -> dict[str, Any]:
    from engine.jobs import null_context
    from engine.jobs.runners import child_command
    from engine.quant.requantize import QuantizeSpec, quantize_gguf

    source = _needs(state, "gguf_f16")
    output = source.with_name("selftest-requantized-Q4_K_M.gguf")
    result = quantize_gguf(
        QuantizeSpec(input_path=source, output_path=output, file_type="Q4_K_M"), null_context()
    )
    state.artifacts["gguf_requantized"] = result.output_path
    return {
        "output": str(result.output_path),
        "bytes": result.output_bytes,
        "child_command": child_command(),
    }


def _check_llama(state: SelftestState, artifact: str) -> dict[str, Any]:
    from engine.selftest_model import REPLY, generate_reply

    model = _needs(state, "model")
    reply = generate_reply(_needs(state, artifact))
    detail = asdict(reply)
    if reply.reply_token_ids != model.reply_token_ids:
        raise RuntimeError(
            f"llama.cpp tokenizes {REPLY!r} as {list(reply.reply_token_ids)}, the tokenizer "
            f"as {list(model.reply_token_ids)}"
        )
    if reply.text != REPLY:
        raise RuntimeError(f"the model answered {reply.text!r}, expected {REPLY!r}")
    return detail


def check_modelfile(state: SelftestState) -> dict[str, Any]:
    from engine.modelfile import build_modelfile, parse_modelfile

    model = _needs(state, "model")
    gguf = _needs(state, "gguf_q4_k_m")
    modelfile = build_modelfile(from_path=gguf, model_dir=model.model_dir)
    state.artifacts["modelfile"] = modelfile
    derived = modelfile.derivation
    if derived is None or derived.family != "chatml" or not modelfile.template:
        family = derived.family if derived else None
        raise RuntimeError(f"expected a ChatML template, got family {family!r}")
    text = modelfile.render()
    again = parse_modelfile(text)
    if again.render() != text:
        raise RuntimeError("the rendered Modelfile does not parse back to itself")
    stops = modelfile.parameters.get("stop") or []
    if "<|im_end|>" not in stops:
        raise RuntimeError(f"<|im_end|> is missing from the stop list {stops}")
    return {"family": derived.family, "stops": stops, "modelfile": text}


def check_template_parity(state: SelftestState) -> dict[str, Any]:
    modelfile = _needs(state, "modelfile")
    parity = modelfile.derivation.parity
    if parity is None or parity.status == "not_run":
        raise NotRun(parity.summary() if parity else "parity was not checked")
    if parity.status != "identical":
        raise RuntimeError(parity.summary())
    from engine.template.gorender import locate_renderer

    return {"summary": parity.summary(), "renderer": str(locate_renderer(build=False))}


def _needs(state: SelftestState, artifact: str) -> Any:
    if artifact not in state.artifacts:
        raise NotRun(f"needs {artifact}, which an earlier check did not produce")
    return state.artifacts[artifact]


CHECKS: tuple[tuple[str, Callable[[SelftestState], dict[str, Any]]], ...] = (
    ("window", check_window),
    ("model", check_model),
    ("convert_f16", lambda s: _convert(s, "f16")),
    ("convert_q4_k_m", lambda s: _convert(s, "q4_k_m")),
    ("quantize_child", check_quantize_child),
    ("llama_f16", lambda s: _check_llama(s, "gguf_f16")),
    ("llama_q4_k_m", lambda s: _check_llama(s, "gguf_q4_k_m")),
    ("llama_requantized", lambda s: _check_llama(s, "gguf_requantized")),
    ("modelfile", check_modelfile),
    ("template_parity", check_template_parity),
)


# -- running and reporting -------------------------------------------------------------
def run_check(state: SelftestState, name: str, check: Callable[[SelftestState], Any]) -> None:
    started = time.perf_counter()
    try:
        detail = check(state)
        result = CheckResult(name, PASSED, 0.0, detail or {})
    except NotRun as exc:
        result = CheckResult(name, NOT_RUN, 0.0, error=str(exc))
    except Exception as exc:  # every failure is reported, none stops the other checks
        message = _describe(exc)
        result = CheckResult(name, FAILED, 0.0, {"traceback": traceback.format_exc()}, message)
    result.seconds = round(time.perf_counter() - started, 3)
    state.results.append(result)
    _say(f"{result.status.upper():8} {name:18} {result.seconds:7.2f} s  {result.error or ''}")


def _describe(exc: BaseException) -> str:
    from engine.errors import TuneforgeError

    if isinstance(exc, TuneforgeError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _say(text: str) -> None:
    if sys.stdout is None:  # a windowed executable has no console
        return
    try:
        print(text, flush=True)
    except (OSError, ValueError, UnicodeEncodeError):
        pass


def environment() -> dict[str, Any]:
    from engine import __version__
    from engine.logfile import log_path
    from engine.selftest_model import runtime_versions

    return {
        "tuneforge": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "versions": runtime_versions(),
        "log_file": str(log_path("app")),
    }


def build_report(state: SelftestState, *, strict: bool, seconds: float) -> dict[str, Any]:
    bad = {FAILED, NOT_RUN} if strict else {FAILED}
    ok = all(r.status not in bad for r in state.results)
    return {
        "report": "tuneforge-selftest",
        "format": 1,
        "ok": ok,
        "strict": strict,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "environment": environment(),
        "checks": [asdict(r) for r in state.results],
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    from engine.jobs import atomic_file

    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str], *, console: bool = True) -> int:
    """Run every check; returns the exit code (0: nothing failed)."""
    args = parse_args(argv)
    report_path = Path(args.selftest_report or default_report_path()).absolute()
    started = time.perf_counter()
    work_dir = Path(tempfile.mkdtemp(prefix="tuneforge-selftest-")) / "自检 self test"
    work_dir.mkdir()
    state = SelftestState(work_dir=work_dir, report_path=report_path)
    _say(f"Tuneforge self-test (work folder {work_dir})")
    try:
        for name, check in CHECKS:
            run_check(state, name, check)
    finally:
        if not args.selftest_keep:
            shutil.rmtree(work_dir.parent, ignore_errors=True)
    report = build_report(state, strict=args.selftest_strict, seconds=time.perf_counter() - started)
    try:
        write_report(report, report_path)
    except OSError as exc:
        _say(f"could not write the report to {report_path}: {exc}")
        return 1
    if console:
        _say(json.dumps(report, ensure_ascii=False, indent=2))
    verdict = "passed" if report["ok"] else "FAILED"
    _say(f"self-test {verdict} in {report['seconds']:.1f} s; report: {report_path}")
    return 0 if report["ok"] else 1
