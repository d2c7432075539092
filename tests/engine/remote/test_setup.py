"""The runtime plan (shared with the local runtime) and `remote setup` on a real sshd box."""

from __future__ import annotations

import json
import shlex
import zipfile

import pytest

from engine import __version__
from engine.errors import TuneforgeError
from engine.remote import Box, add_box, connect, runtime_env, setup_box
from engine.runtime.plan import RuntimePlan, build_wheel, lock_pins, source_root, wheel_name
from tests.fixtures.scripts import python_executable


def test_plan_commands_install_this_version_with_the_train_extra_from_the_mirror():
    plan = RuntimePlan(venv="/data/我的 work/runtime", wheel="/data/我的 work/wheels/" + wheel_name(),
                       index_url="https://mirror.example/simple", hf_endpoint="https://hf-mirror.example")  # fmt: skip
    venv, pip, install = plan.commands()
    assert venv == ["python3", "-m", "venv", "/data/我的 work/runtime"]
    assert install[:4] == ["/data/我的 work/runtime/bin/python", "-m", "pip", "install"]
    assert install[4].endswith(f"tuneforge-{__version__}-py3-none-any.whl[train]")
    assert install[-2:] == ["--index-url", "https://mirror.example/simple"]
    assert "--index-url" in pip
    assert plan.environment() == {"HF_ENDPOINT": "https://hf-mirror.example",
                                  "PIP_INDEX_URL": "https://mirror.example/simple"}  # fmt: skip
    assert shlex.split(shlex.join(install)) == install


def test_lock_pins_are_the_local_runtimes_versions():
    from engine.runtime.lock import CPU, load_lock

    lock = load_lock()
    cuda = lock_pins()
    assert cuda[0] == f"torch=={lock.cuda_builds()[0].torch}"
    assert set(lock.packages) <= set(cuda) and set(lock.cuda_packages) <= set(cuda)
    cpu = lock_pins(cuda=False)
    assert cpu[0] == f"torch=={lock.build(CPU).torch}" and not set(lock.cuda_packages) & set(cpu)
    plan = RuntimePlan(venv="/v", wheel="/w.whl", pins=cuda)
    assert plan.commands()[-1][4:] == ["/w.whl[train]", *cuda]


def test_plan_offline_on_the_image_python_and_with_uv():
    common = dict(venv="/w/运行 time", wheel="/w/" + wheel_name(), base_python="/opt/conda/bin/python",
                  system_site_packages=True, find_links=("/w/轮子 wheels",), no_index=True,
                  index_url="https://ignored.example/simple")  # fmt: skip
    venv, _pip, install = RuntimePlan(**common).commands()
    assert venv == ["/opt/conda/bin/python", "-m", "venv", "--system-site-packages", "/w/运行 time"]
    assert install[-3:] == ["--find-links", "/w/轮子 wheels", "--no-index"]
    assert "--index-url" not in install  # offline means no index at all
    uv_venv, uv_install = RuntimePlan(
        **common, installer="uv", uv="/home/u/.local/bin/uv"
    ).commands()
    assert uv_venv == ["/home/u/.local/bin/uv", "venv", "--system-site-packages", "--python",
                       "/opt/conda/bin/python", "/w/运行 time"]  # fmt: skip
    assert uv_install[:5] == [
        "/home/u/.local/bin/uv",
        "pip",
        "install",
        "--python",
        "/w/运行 time/bin/python",
    ]
    assert uv_install[5].endswith("[train]") and uv_install[-1] == "--no-index"
    mirror = RuntimePlan(venv="/v", wheel="/w.whl", index_url="https://mirror.example/simple",
                         installer="uv", uv="uv").commands()[1]  # fmt: skip
    assert mirror[-2:] == ["--index-url", "https://mirror.example/simple"]
    with pytest.raises(TuneforgeError, match="unknown installer"):
        RuntimePlan(venv="/v", wheel="/w.whl", installer="conda").commands()


@pytest.mark.slow
def test_the_engine_wheel_of_this_checkout_builds_offline(tmp_path):
    root = source_root()
    assert root is not None
    wheel = build_wheel(root, tmp_path / "wheels")
    names = zipfile.ZipFile(wheel).namelist()
    assert "engine/cli/boxrun.py" in names and "engine/train/launch.py" in names
    meta = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert f"Version: {__version__}" in text and 'extra == "train"' in text


def test_setup_with_an_existing_python_records_the_mirror(sshd, box_python, tmp_path, capsys):
    from engine.cli.main import main

    work = tmp_path / "工作 目录"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python=box_python, work_dir=str(work)))  # fmt: skip
    rc = main(["remote", "setup", "gpu", "--hf-endpoint", "https://hf-mirror.example"])
    assert rc == 0, capsys.readouterr().err
    assert json.loads((work / "runtime.json").read_text())["env"] == {
        "HF_ENDPOINT": "https://hf-mirror.example"
    }
    with connect("gpu") as conn:
        assert runtime_env(conn) == {"HF_ENDPOINT": "https://hf-mirror.example"}


def test_setup_with_a_python_that_lacks_the_engine_is_a_clear_error(sshd, tmp_path, capsys):
    from engine.cli.main import main

    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python="/usr/bin/python3", work_dir=str(tmp_path / "w")))  # fmt: skip
    rc = main(["remote", "setup", "gpu"])
    err = capsys.readouterr().err
    assert rc == 1 and "cannot import the engine and torch" in err and "Traceback" not in err
    with connect("gpu") as conn:
        assert setup_box  # the API the desktop calls
        assert conn.run(["true"]).rc == 0


def test_setup_refuses_a_runtime_of_another_version(sshd, tmp_path, capsys):
    import os
    import sys

    from engine.cli.main import main

    pytest.importorskip("torch")
    old = tmp_path / "old engine"
    (old / "engine").mkdir(parents=True)
    (old / "engine" / "__init__.py").write_text('__version__ = "0.0.9"\n')
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{old}" exec "{sys.executable}" "$@"\n')
    os.chmod(python, 0o755)
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python=str(python), work_dir=str(tmp_path / "w")))  # fmt: skip
    rc = main(["remote", "setup", "gpu"])
    err = capsys.readouterr().err
    assert (
        rc == 1 and f"has tuneforge 0.0.9, this is {__version__}" in err and "Traceback" not in err
    )


@pytest.fixture
def uv_box(tmp_path):
    """A box whose PATH has a `uv` that writes down each call (one JSON line of argv) and fails
    the install, so the commands that reach the box through SSH quoting can be read back."""

    from tests.engine.remote.sshd import Sshd, missing_reason

    if missing_reason():
        pytest.skip(missing_reason())
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "uv-calls.jsonl"
    uv = bindir / "uv"
    python_executable(uv, "import json, sys\n"
                      f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                      "sys.exit(0 if sys.argv[1:] in (['--version'], []) or sys.argv[1] == 'venv' else 3)\n")  # fmt: skip
    server = Sshd(tmp_path / "sshd", extra=(f"SetEnv PATH={bindir}:/usr/local/bin:/usr/bin:/bin",))
    server.start()
    yield server, calls
    server.stop()


def test_setup_with_uv_sends_the_mirror_and_auto_keeps_pip_for_system_site_packages(
    uv_box, tmp_path, capsys
):
    from engine.cli.main import main

    server, calls = uv_box
    work = tmp_path / "工作 'w'"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=server.port, user=server.user,
                    key_file=str(server.user_key), work_dir=str(work)))  # fmt: skip
    rc = main(["remote", "setup", "gpu", "--index-url", "https://mirror.example/simple",
               "--hf-endpoint", "https://hf-mirror.example"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "uv pip install failed on gpu (exit 3)" in err and "Traceback" not in err
    made = [json.loads(line) for line in calls.read_text().splitlines()]
    venv = str(work / "runtime")
    assert made[0] == ["--version"]
    assert made[1] == ["venv", "--python", "python3", venv]
    assert made[2][:4] == ["pip", "install", "--python", f"{venv}/bin/python"]
    assert made[2][4] == f"{work}/wheels/{wheel_name()}[train]"
    # a full runtime gets the release's tested versions (the lock the local runtime uses too)
    assert tuple(made[2][5:-2]) == lock_pins()
    assert any(pin.startswith("transformers==") for pin in made[2][5:-2])
    assert made[2][-2:] == ["--index-url", "https://mirror.example/simple"]
    assert (work / "wheels" / wheel_name()).is_file()
    # auto with --system-site-packages: pip (uv would download torch again); uv is not asked
    calls.unlink()
    rc = main(["remote", "setup", "gpu", "--system-site-packages", "--no-index"])
    err = capsys.readouterr().err
    assert rc == 1 and "python3 -m venv --system-site-packages" in err and not calls.exists()


def _alive_with(marker: str) -> list[str]:
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(cmdline)
    return found


def test_a_cancelled_install_command_is_killed_on_the_box_with_its_children(sshd, tmp_path):
    import os
    import threading
    import time

    from engine.errors import JobCancelled

    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key)))  # fmt: skip
    seconds = f"{3000 + os.getpid() % 997}.5"  # this test's own sleeping children
    script = f"echo started; sleep {seconds} & sleep {seconds}; echo never"
    lines: list[str] = []
    stop = threading.Event()
    started = time.monotonic()
    with connect("gpu") as conn, pytest.raises(JobCancelled):

        def on_line(line: str) -> None:
            lines.append(line)
            threading.Timer(0.5, stop.set).start()  # the user presses Cancel

        conn.run_lines(["sh", "-c", script], on_line=on_line, cancelled=stop.is_set)
    assert lines == ["started"] and time.monotonic() - started < 30
    deadline = time.monotonic() + 10
    while _alive_with(f"sleep {seconds}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_with(f"sleep {seconds}") == []  # both sleeps, not only the shell
    with connect("gpu") as conn:  # the plain form still reports lines and the exit status
        got: list[str] = []
        result = conn.run_lines(["sh", "-c", "printf 'a\\nb'; exit 0"], on_line=got.append)
    assert got == ["a", "b"] and result.rc == 0
