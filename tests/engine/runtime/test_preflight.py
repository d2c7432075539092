"""Preflight on recorded ``nvidia-smi`` outputs: the GPU, the driver's CUDA, the torch build
chosen for it, and each problem's message and hint (disk, long paths, old driver)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.runtime.layout import RuntimeLayout
from engine.runtime.lock import load_lock
from engine.runtime.nvidia import DriverInfo, Gpu, from_nvidia_smi, parse_header, parse_query
from engine.runtime.preflight import GB, choose_build, long_path_problem, run_preflight
from tests.fixtures.scripts import python_executable

DATA = Path(__file__).with_name("data")
CASES = {  # recording → (GPU names, driver, CUDA, build on Linux)
    "smi_win_4090_cuda128": (["NVIDIA GeForce RTX 4090"], "572.16", "12.8", "cu128"),
    "smi_linux_2xh100_cuda130": (["NVIDIA H100 80GB HBM3"] * 2, "580.82.07", "13.0", "cu130"),
    "smi_linux_1080ti_cuda114": (["NVIDIA GeForce GTX 1080 Ti"], "470.256.02", "11.4", None),
}


def _recorded(name: str) -> DriverInfo:
    gpus, driver = parse_query((DATA / f"{name}.query.txt").read_text(encoding="utf-8"))
    _header_driver, cuda = parse_header((DATA / f"{name}.txt").read_text(encoding="utf-8"))
    return DriverInfo(gpus=tuple(gpus), driver=driver, cuda=cuda, source="nvidia-smi")


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_outputs_parse_and_choose_the_newest_build_the_driver_runs(name):
    names, driver, cuda, build = CASES[name]
    info = _recorded(name)
    assert [g.name for g in info.gpus] == names
    assert info.driver == driver and info.cuda == cuda
    assert parse_header((DATA / f"{name}.txt").read_text(encoding="utf-8"))[0] == driver
    chosen, problems = choose_build(load_lock(), "auto", info, platform="linux")
    assert (chosen.tag if chosen else None) == build
    if build is None:  # a driver older than every CUDA build: blocked, with what to do
        (problem,) = problems
        assert problem.blocking and problem.code == "driver_too_old"
        assert "470.256.02" in problem.message and "nvidia.com" in problem.hint
    else:
        assert problems == []


def test_memory_is_read_from_the_query():
    gpus, _ = parse_query((DATA / "smi_win_4090_cuda128.query.txt").read_text(encoding="utf-8"))
    assert gpus == [Gpu(name="NVIDIA GeForce RTX 4090", memory_mb=24564)]


def test_without_a_cuda_line_the_driver_version_decides():
    info = DriverInfo(gpus=(Gpu(name="RTX 3060", memory_mb=12288),), driver="566.36", cuda=None,
                      source="nvidia-smi")  # fmt: skip
    lock = load_lock()
    assert choose_build(lock, "auto", info, platform="win32")[0].tag == "cu126"  # type: ignore[union-attr]
    newer = DriverInfo(gpus=info.gpus, driver="576.02", cuda=None, source="nvidia-smi")
    assert choose_build(lock, "auto", newer, platform="win32")[0].tag == "cu128"  # type: ignore[union-attr]


def test_no_gpu_falls_back_to_cpu_with_a_warning_and_cpu_on_request_is_quiet():
    lock = load_lock()
    none = DriverInfo(
        gpus=(), driver=None, cuda=None, source="none", error="nvidia-smi was not found"
    )
    build, problems = choose_build(lock, "auto", none, platform="linux")
    assert build is not None and build.tag == "cpu"
    (problem,) = problems
    assert not problem.blocking and "nvidia-smi was not found" in problem.message
    assert choose_build(lock, "cpu", _recorded("smi_win_4090_cuda128"), platform="win32") == (
        lock.build("cpu"),
        [],
    )


def test_a_build_newer_than_the_driver_is_refused_with_the_one_that_fits():
    build, problems = choose_build(
        load_lock(), "cu130", _recorded("smi_win_4090_cuda128"), platform="win32"
    )
    assert build is not None and build.tag == "cu130"
    (problem,) = problems
    assert problem.blocking and "--cuda cu128" in problem.hint


def test_disk_problem_counts_the_runtime_and_the_base_model(tmp_path):
    layout = RuntimeLayout(tmp_path / "运行时 folder")
    lock = load_lock()
    ok = run_preflight(cuda="cpu", layout=layout, free_bytes=100 * GB, model_bytes=3 * GB)
    assert ok.ok and ok.needed_bytes == lock.size_bytes(lock.build("cpu")) + 3 * GB
    short = run_preflight(cuda="cpu", layout=layout, free_bytes=2 * GB, model_bytes=3 * GB)
    assert not short.ok
    (problem,) = short.problems
    assert (
        problem.code == "disk"
        and "2.1 GB free" in problem.message
        and "TUNEFORGE_HOME" in problem.hint
    )
    data = short.to_dict()
    assert data["problems"][0]["code"] == "disk" and data["build"] == "cpu"


def test_windows_long_path_limit():
    usual = Path("C:/Users/张伟 Zhang/AppData/Local/Tuneforge/runtime/venv")
    assert long_path_problem(path=usual, longest_relative=170, enabled=False) is None
    deep = Path(
        "D:/我的 文件/training projects/2025 fine-tuning experiments for the customer service bot/Tuneforge/data/runtime/venv"
    )
    assert long_path_problem(path=deep, longest_relative=170, enabled=True) is None
    assert long_path_problem(path=deep, longest_relative=170, enabled=None) is None
    assert long_path_problem(path=Path("C:/TF/venv"), longest_relative=170, enabled=False) is None
    problem = long_path_problem(path=deep, longest_relative=170, enabled=False)
    assert problem is not None and problem.blocking
    assert "LongPathsEnabled" in problem.hint and "TUNEFORGE_RUNTIME_DIR" in problem.hint
    report = run_preflight(cuda="cpu", layout=RuntimeLayout(deep.parent), free_bytes=100 * GB,
                           platform="win32", long_paths=False)  # fmt: skip
    assert [p.code for p in report.problems] == ["long_paths"]


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in nvidia-smi is a POSIX script")
@pytest.mark.parametrize("recording", ["smi_linux_2xh100_cuda130", "smi_no_driver"])
def test_nvidia_smi_is_run_and_a_failing_one_says_why(tmp_path, recording):
    tool = tmp_path / "nvidia-smi"
    header = DATA / f"{recording}.txt"
    query = DATA / f"{recording}.query.txt"
    failing = not query.is_file()
    python_executable(
        tool,
        "import sys\n"
        f"text = open({str(query if not failing else header)!r} if '--query-gpu' in ' '.join(sys.argv) "
        f"else {str(header)!r}, encoding='utf-8').read()\n"
        f"sys.stdout.write(text)\nsys.exit({9 if failing else 0})\n",
    )
    info = from_nvidia_smi(str(tool))
    if failing:
        assert info.gpus == () and info.error is not None and "couldn't communicate" in info.error
        build, problems = choose_build(load_lock(), "auto", info, platform="linux")
        assert (
            build is not None
            and build.tag == "cpu"
            and "couldn't communicate" in problems[0].message
        )
    else:
        assert len(info.gpus) == 2 and info.cuda == "13.0" and info.driver == "580.82.07"
