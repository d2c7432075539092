"""`tuneforge remote setup` end to end on a real sshd box, offline.

The "box" is 127.0.0.1 as seen through sshd. Like a GPU image that ships torch in its own
Python, the box's Python sees torch & co in its user site (``PYTHONUSERBASE``, set for every
SSH session by the sshd config; symlinks into this test venv, minus this project). Setup builds
the runtime venv with ``--system-site-packages`` on top of it and installs this checkout's
wheel with the ``train`` extra from a wheel folder on the box with ``--no-index``: pip never
looks at a package index. Then `remote check` reports the runtime and a tiny CPU training runs
on that runtime (the engine imported from the venv, not from this checkout).
"""

from __future__ import annotations

import json
import sys
import sysconfig
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import pytest

from engine import __version__
from engine.remote import Box, add_box, connect
from tests.engine.remote.sshd import Sshd, missing_reason
from tests.engine.train.helpers import write_dataset

pytest.importorskip("torch")
pytestmark = pytest.mark.slow

BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)  # a Python that is not a venv
OWN = ("tuneforge", "__editable__", "engine", "desktop", "tests")  # this project: from the wheel
VENV_SEEDED = ("pip", "setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence")
TRAIN = ["--device", "cpu", "--batch-size", "4", "--grad-accum", "1", "--cutoff", "128",
         "--no-gradient-checkpointing", "--lr", "5e-3", "--max-steps", "2"]  # fmt: skip


def repack_installed(name: str, out_dir: Path) -> Path:
    """A wheel of an installed pure-Python distribution (its RECORD lists the files)."""
    dist = distribution(name)
    out = out_dir / f"{name}-{dist.version}-py3-none-any.whl"
    root = Path(str(dist.locate_file("")))
    with zipfile.ZipFile(out, "w") as wheel:
        for entry in dist.files or []:
            text = str(entry)
            if not text.startswith("..") and "__pycache__" not in text and (root / text).is_file():
                wheel.write(root / text, text)
    return out


@pytest.fixture(scope="module")
def image_site(tmp_path_factory) -> Path:
    """PYTHONUSERBASE whose site-packages holds the test venv's packages (torch, transformers,
    peft …) but not this project and not what a new venv brings itself (pip, setuptools)."""
    userbase = tmp_path_factory.mktemp("image_userbase")
    site = userbase / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    site.mkdir(parents=True)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith((*OWN, *VENV_SEEDED, "__pycache__")):
            continue
        (site / entry.name).symlink_to(entry)
    return userbase


@pytest.fixture(scope="module")
def image_sshd(tmp_path_factory, image_site):
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = Sshd(tmp_path_factory.mktemp("sshd"), extra=(f"SetEnv PYTHONUSERBASE={image_site}",))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wheelhouse(tmp_path) -> Path:
    """A folder of wheels on the box: a setuptools new enough for torch's metadata (the venv's
    seeded one is older), nothing else."""
    folder = tmp_path / "轮子 wheels"
    folder.mkdir()
    repack_installed("setuptools", folder)
    return folder


def _add(sshd: Sshd, work: Path) -> None:
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), work_dir=str(work)))  # fmt: skip


def _setup(*extra: str) -> list[str]:
    return ["remote", "setup", "gpu", "--installer", "pip", "--base-python", BASE_PYTHON, *extra]


def test_setup_builds_the_runtime_offline_and_a_run_uses_it(
    image_sshd, wheelhouse, tiny_models, tmp_path, capsys
):
    from engine.cli.main import main

    work = tmp_path / "box 工作 'dir'"
    _add(image_sshd, work)
    rc = main(_setup("--system-site-packages", "--find-links", str(wheelhouse), "--no-index",
                     "--hf-endpoint", "https://hf-mirror.example"))  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert f"runtime ready on gpu: tuneforge {__version__}" in captured.out
    assert "--system-site-packages" in captured.err and "--no-index" in captured.err
    assert "  Successfully installed" in captured.err  # pip's own lines, as they come
    python = work / "runtime" / "bin" / "python"
    assert python.exists()
    venv_cfg = (work / "runtime" / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = true" in venv_cfg
    assert json.loads((work / "runtime.json").read_text())["env"] == {
        "HF_ENDPOINT": "https://hf-mirror.example"
    }
    with connect("gpu") as conn:  # the engine comes from the wheel in the venv
        where = conn.run([str(python), "-c", "import engine; print(engine.__file__)"]).stdout
    assert Path(where.strip()).is_relative_to(work / "runtime")

    assert main(["remote", "check", "gpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runtime"] == __version__

    data = write_dataset(tmp_path / "数据.jsonl", n=8)
    out = tmp_path / "out"
    rc = main(["train", "--on", "gpu", "--base", str(tiny_models("qwen2")), "--data", str(data),
               "--out", str(out), *TRAIN])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    (run_dir,) = [p for p in (work / "runs").iterdir() if p.is_dir()]
    assert [e["step"] for e in map(json.loads, (run_dir / "events.jsonl").read_text().splitlines())
            if e["event"] == "step"] == [1, 2]  # fmt: skip


def test_offline_setup_without_the_images_packages_is_a_clear_error(
    image_sshd, wheelhouse, tmp_path, capsys
):
    from engine.cli.main import main

    _add(image_sshd, tmp_path / "w")
    rc = main(_setup("--find-links", str(wheelhouse), "--no-index"))  # no --system-site-packages
    err = capsys.readouterr().err
    assert rc == 1 and "failed on gpu" in err and "Traceback" not in err
    assert "No matching distribution found for" in err
