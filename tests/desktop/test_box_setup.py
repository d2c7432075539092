"""The Fine-tune page's **Set up** on a box, for real and offline: the box is the loopback sshd
of tests/engine/remote whose Python sees torch & co like a GPU image (the fixtures of
test_setup_offline); "Reuse the box's Python packages" builds the runtime venv with
``--system-site-packages`` and pip's lines show in the page as they come."""

from __future__ import annotations

import json

import pytest

from tests.engine.remote import test_setup_offline as offline
from tests.engine.remote.conftest import MemoryKeyring

# the offline box's fixtures, shared with tests/engine/remote/test_setup_offline.py
image_site, image_sshd, wheelhouse = offline.image_site, offline.image_sshd, offline.wheelhouse
BASE_PYTHON = offline.BASE_PYTHON

pytest.importorskip("torch")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    from engine.remote import set_secret_store

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    set_secret_store(MemoryKeyring())
    yield
    set_secret_store(None)


def test_set_up_a_box_reusing_its_packages_shows_the_install_lines(
    qtbot, settings, image_sshd, wheelhouse, tmp_path, monkeypatch
):
    from PySide6.QtCore import Qt

    from desktop import remote_boxes as rb
    from desktop.pages.finetune_page import FinetunePage
    from engine import __version__
    from engine.remote import Box, add_box

    work = tmp_path / "box 工作 dir"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=image_sshd.port, user=image_sshd.user,
                    key_file=str(image_sshd.user_key), work_dir=str(work)))  # fmt: skip
    asked: list[dict] = []
    real_setup = rb.setup_job

    def offline_setup(spec, ctx):  # the page's own spec, plus where the wheels are (no index)
        asked.append(dict(spec))
        return real_setup({**spec, "installer": "pip", "base_python": BASE_PYTHON,
                           "find_links": [str(wheelhouse)], "no_index": True}, ctx)  # fmt: skip

    monkeypatch.setattr(rb, "setup_job", offline_setup)
    page = FinetunePage(settings)
    qtbot.addWidget(page)
    page.show()
    where = page.where
    assert not where.reuse_packages.isVisible()  # this computer: nothing to reuse
    where.refresh(select="gpu")
    qtbot.waitUntil(lambda: where.selected() == "gpu", timeout=10_000)
    assert where.reuse_packages.isVisible() and not where.reuse_packages.isChecked()
    where.reuse_packages.setChecked(True)
    qtbot.mouseClick(where.setup_button, Qt.MouseButton.LeftButton)
    assert where.setup_bar.isVisible() and not where.reuse_packages.isEnabled()

    def log() -> str:
        return where.setup_log.toPlainText()

    # pip's own lines arrive while the setup still runs (the bar is still shown)
    qtbot.waitUntil(lambda: "Processing" in log() or "Successfully installed" in log(),
                    timeout=180_000)  # fmt: skip
    assert where.setup_bar.isVisible()
    qtbot.waitUntil(lambda: f"runtime {__version__}" in where.status.text.text(), timeout=180_000)
    assert asked and asked[0]["system_site_packages"] is True
    assert "--system-site-packages" in log()
    assert "Successfully installed" in log() and "tuneforge" in log()
    venv_cfg = (work / "runtime" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = true" in venv_cfg
    assert json.loads((work / "runtime.json").read_text(encoding="utf-8"))["version"] == __version__
    assert where.setup_bar.isHidden() and where.reuse_packages.isEnabled()
