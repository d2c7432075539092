"""Set up training on this PC (panel/dialog) and Settings → Training on this PC, driving a
real offline install (stand-in wheels, real uv, the real engine wheel)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.widgets.runtime_settings import RuntimeSettingsCard
from desktop.widgets.runtime_setup import RuntimeSetupDialog, RuntimeSetupPanel, offer_runtime_setup
from engine.errors import InputError
from engine.runtime.errors import RuntimeMissing
from engine.runtime.install import RuntimeInstallSpec
from engine.runtime.layout import RuntimeLayout
from engine.runtime.lock import load_lock
from engine.runtime.nvidia import DriverInfo, Gpu
from engine.runtime.preflight import GB, run_preflight
from engine.runtime.status import runtime_status
from tests.engine.runtime import conftest as runtime_fixtures

# the runtime tests' fixtures (a stand-in wheelhouse, the engine wheel, a temp TUNEFORGE_HOME)
cpu_wheelhouse = runtime_fixtures.cpu_wheelhouse
engine_wheel = runtime_fixtures.engine_wheel
runtime_home = runtime_fixtures.runtime_home
uv_bin = runtime_fixtures.uv_bin

pytestmark = pytest.mark.usefixtures("runtime_home")


def _spec(wheelhouse: Path, wheel: Path) -> RuntimeInstallSpec:
    return RuntimeInstallSpec(cuda="cpu", no_index=True, find_links=(str(wheelhouse),), wheel=wheel,
                              check_disk=False)  # fmt: skip


def test_preflight_results_and_a_blocking_problem_disable_install(qtbot, tmp_path):
    panel = RuntimeSetupPanel()
    qtbot.addWidget(panel)
    driver = DriverInfo(gpus=(Gpu(name="NVIDIA GeForce RTX 4090", memory_mb=24564),), driver="572.16",
                        cuda="12.8", source="nvidia-smi")  # fmt: skip
    layout = RuntimeLayout(tmp_path / "rt")
    panel._checked(
        run_preflight(
            driver=driver, layout=layout, free_bytes=500 * GB, platform="win32", long_paths=True
        )
    )
    assert "RTX 4090" in panel.checks.text() and "572.16" in panel.checks.text()
    assert "CUDA 12.8" in panel.checks.text() and panel.install_button.isEnabled()
    panel._checked(
        run_preflight(
            driver=driver, layout=layout, free_bytes=1 * GB, platform="win32", long_paths=True
        )
    )
    assert not panel.install_button.isEnabled()
    assert "Not enough free disk space" in panel.problems.text() and "→" in panel.problems.text()


def test_install_with_progress_then_settings_shows_repair_and_remove(
    qtbot, cpu_wheelhouse, engine_wheel, uv_bin
):
    card = RuntimeSettingsCard()
    qtbot.addWidget(card)
    card.refresh()
    qtbot.waitUntil(lambda: card.status is not None, timeout=30000)
    assert card.status.state == "missing" and not card.setup_button.isHidden()
    assert card.repair_button.isHidden() and card.remove_button.isHidden()

    panel = RuntimeSetupPanel()
    qtbot.addWidget(panel)
    panel.changed.connect(card.refresh)
    panel.install(_spec(cpu_wheelhouse, engine_wheel))
    assert not panel.cancel_button.isHidden() and not panel.install_button.isEnabled()
    qtbot.waitUntil(lambda: panel.state == "installed", timeout=120000)
    assert panel.progress.value() == 1000 and "2.13.0" in panel.result.text()
    qtbot.waitUntil(
        lambda: card.status is not None and card.status.state == "installed", timeout=60000
    )
    assert (
        "Size:" in card.details.text() and str(RuntimeLayout.default().root) in card.details.text()
    )
    assert not card.repair_button.isHidden() and not card.remove_button.isHidden()

    card.remove(ask=False)
    qtbot.waitUntil(lambda: card.status.state == "missing", timeout=60000)
    assert not RuntimeLayout.default().root.exists()


def test_cancel_stops_the_install_and_says_it_continues(
    qtbot, cpu_wheelhouse, engine_wheel, uv_bin
):
    panel = RuntimeSetupPanel()
    qtbot.addWidget(panel)
    panel.install(_spec(cpu_wheelhouse, engine_wheel))
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: panel.state != "installing", timeout=60000)
    assert panel.state == "stopped" and "continue" in panel.result.text()
    assert runtime_status(check_imports=False).state in ("missing", "incomplete")
    assert not RuntimeLayout.default().marker.exists()


def test_fine_tune_hook_opens_setup_only_when_the_runtime_is_needed(qtbot, monkeypatch):
    from PySide6.QtWidgets import QWidget

    host = QWidget()
    qtbot.addWidget(host)
    monkeypatch.setattr(RuntimeSetupPanel, "check", lambda self: None)  # no nvidia-smi here
    assert offer_runtime_setup(host, error=InputError("bad row")) is None
    dialog = offer_runtime_setup(
        host, error=RuntimeMissing("training on this PC needs the runtime, which is broken")
    )
    assert isinstance(dialog, RuntimeSetupDialog) and dialog.panel.repair
    dialog.close()
    monkeypatch.setenv("TUNEFORGE_USE_RUNTIME", "1")  # as in the frozen app: no torch here
    dialog = offer_runtime_setup(host)
    assert isinstance(dialog, RuntimeSetupDialog) and not dialog.panel.repair
    dialog.close()
    monkeypatch.delenv("TUNEFORGE_USE_RUNTIME")
    from engine.runtime.use import has_local_torch

    assert (offer_runtime_setup(host) is None) == has_local_torch()  # torch here: train as before
    assert load_lock().build("cpu").torch  # the lock the panel installs from is readable


def test_settings_card_saves_the_package_mirrors_for_the_installer(qtbot, settings, monkeypatch):
    from engine.runtime.commands import ENV_INDEX, ENV_TORCH_INDEX, PackageSources

    monkeypatch.delenv(ENV_INDEX, raising=False)
    monkeypatch.delenv(ENV_TORCH_INDEX, raising=False)
    card = RuntimeSettingsCard(settings)
    qtbot.addWidget(card)
    card.index_edit.setText("https://pypi.tuna.tsinghua.edu.cn/simple/")
    card.index_edit.editingFinished.emit()
    card.torch_index_edit.setText("https://mirror.example/whl/{tag}")
    card.torch_index_edit.editingFinished.emit()
    assert settings.values.runtime_index_url == "https://pypi.tuna.tsinghua.edu.cn/simple"
    sources = PackageSources().with_env()
    assert sources.index_url == "https://pypi.tuna.tsinghua.edu.cn/simple"
    assert sources.torch_index_url == "https://mirror.example/whl/{tag}"
    card.index_edit.setText("")
    card.index_edit.editingFinished.emit()
    assert PackageSources().with_env().index_url is None  # cleared: PyPI again
