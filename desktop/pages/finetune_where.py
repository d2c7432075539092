""" "Where to train": this computer or a saved remote box (engine.remote). Add, edit and
remove boxes (the host key's fingerprint is confirmed first), test the connection (GPUs shown)
and set up the training runtime with its progress. Every SSH call runs in a job."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop import jobs
from desktop import remote_boxes as rb
from desktop.widgets.box_dialog import BoxDialog
from desktop.widgets.common import Notice, button
from desktop.widgets.dialogs import confirm


def report_text(report: Any) -> str:
    """One line from a ``BoxReport``: GPUs, CUDA, free disk, the runtime."""

    if report.gpus:
        gpus = ", ".join(f"{g['name']} ({g['memory_mb'] / 1024:.0f} GB)" for g in report.gpus)
    else:
        gpus = QCoreApplication.translate("WherePanel", "no NVIDIA GPU")
    parts = [gpus]
    if report.cuda:
        parts.append(f"CUDA {report.cuda}")
    parts.append(
        QCoreApplication.translate("WherePanel", "{free:.0f} GB free").format(free=report.free_gb)
    )
    parts.append(QCoreApplication.translate("WherePanel", "runtime {version}").format(version=report.runtime)
                 if report.runtime else QCoreApplication.translate("WherePanel", "runtime not set up yet"))  # fmt: skip
    return " · ".join(parts)


class WherePanel(QWidget):
    changed = Signal()  # the choice or what is known about it changed

    def __init__(self, parent: QWidget | None = None, *, hf_endpoint: Any = lambda: "") -> None:
        super().__init__(parent)
        self.hf_endpoint = hf_endpoint
        self.boxes: list[Any] = []
        self.reports: dict[str, Any] = {}
        self.busy = False
        self.dialog: BoxDialog | None = None
        self.combo = QComboBox()
        self.combo.setObjectName("WhereCombo")
        self.combo.setMinimumContentsLength(22)
        self.add_button, self.edit_button, self.remove_button = button(), button(), button()
        self.test_button, self.setup_button = button(), button()
        self.add_button.setObjectName("AddBox")
        self.edit_button.setObjectName("EditBox")
        self.remove_button.setObjectName("RemoveBox")
        self.test_button.setObjectName("TestBox")
        self.setup_button.setObjectName("SetupBox")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        for b in (self.add_button, self.edit_button, self.remove_button, self.test_button,
                  self.setup_button):  # fmt: skip
            row.addWidget(b)
        # remote setup --system-site-packages: the runtime sees the torch the box's image ships
        self.reuse_packages = QCheckBox()
        self.reuse_packages.setObjectName("ReuseBoxPackages")
        self.status = Notice()
        self.status.setObjectName("BoxStatus")
        self.status.hide()
        self.setup_bar = QProgressBar()
        self.setup_bar.setRange(0, 0)
        self.setup_bar.setTextVisible(False)
        self.setup_bar.hide()
        self.setup_cancel = button()
        self.setup_cancel.setObjectName("CancelSetup")
        self.setup_cancel.hide()
        self.setup_cancel.clicked.connect(self.cancel_setup)
        self._setup_job: jobs.GuiJob | None = None
        self.setup_log = QPlainTextEdit()
        self.setup_log.setObjectName("SetupLog")
        self.setup_log.setReadOnly(True)
        self.setup_log.setMaximumHeight(90)
        self.setup_log.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        setup_row = QHBoxLayout()
        setup_row.addWidget(self.setup_bar, 1)
        setup_row.addWidget(self.setup_cancel)
        for w in (self.reuse_packages, self.status):
            layout.addWidget(w)
        layout.addLayout(setup_row)
        layout.addWidget(self.setup_log)
        self.combo.currentIndexChanged.connect(self._choice_changed)
        self.add_button.clicked.connect(lambda: self.open_dialog(None))
        self.edit_button.clicked.connect(lambda: self.open_dialog(self.selected_box()))
        self.remove_button.clicked.connect(self.remove)
        self.test_button.clicked.connect(self.test)
        self.setup_button.clicked.connect(self.setup)
        self.retranslate()
        self._set_boxes([], select=None)

    # -- the choice ---------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        keep = select or self.selected()
        jobs.call(rb.saved_boxes, owner=self, on_result=lambda boxes: self._set_boxes(boxes, select=keep),
                  on_error=self._show_error)  # fmt: skip

    def _set_boxes(self, boxes: list[Any], *, select: str | None) -> None:
        self.boxes = boxes
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(self.tr("This computer"), None)
        for box in boxes:
            self.combo.addItem(f"{box.name} ({box.address})", box.name)
        index = self.combo.findData(select) if select else 0
        self.combo.setCurrentIndex(max(0, index))
        self.combo.blockSignals(False)
        self._choice_changed()

    def selected(self) -> str | None:
        """The chosen box's name, or None for this computer."""
        data = self.combo.currentData()
        return str(data) if data else None

    def selected_box(self) -> Any | None:
        return next((b for b in self.boxes if b.name == self.selected()), None)

    def _choice_changed(self, *_args: object) -> None:
        remote = self.selected() is not None
        for b in (self.edit_button, self.remove_button, self.test_button, self.setup_button,
                  self.reuse_packages):  # fmt: skip
            b.setEnabled(remote and not self.busy)
        self.reuse_packages.setVisible(remote)
        self.add_button.setEnabled(not self.busy)
        self.combo.setEnabled(not self.busy)
        name = self.selected()
        if name in self.reports:
            self.status.show_message("ok", report_text(self.reports[name]))
        elif not self.busy:
            self.status.hide()
        self.changed.emit()

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        self._choice_changed()

    def _show_error(self, error: Any) -> None:
        self._busy(False)
        message = str(getattr(error, "message", None) or error)
        hint = getattr(error, "hint", None)
        self.status.show_message("error", message + (f"\n→ {hint}" if hint else ""))

    # -- add / edit / remove ------------------------------------------------------------------
    def open_dialog(self, box: Any | None) -> BoxDialog:
        self.dialog = BoxDialog(self, box=box)
        self.dialog.accepted.connect(lambda d=self.dialog: self._dialog_done(d.form()))
        self.dialog.open()
        return self.dialog

    def _dialog_done(self, form: rb.BoxForm) -> None:
        self._busy(True)
        self.status.show_message("info", self.tr("Connecting to {host}…").format(host=form.host))
        jobs.call(rb.host_fingerprint, form.host, form.port, owner=self,
                  on_result=lambda fp: self._confirm_key(form, fp), on_error=self._show_error)  # fmt: skip

    def _confirm_key(self, form: rb.BoxForm, fingerprint: str) -> None:
        if not confirm(self, self.tr("Trust this box?"),
                       self.tr("{host} presents this key:").format(host=form.host), fingerprint + "\n\n" +
                       self.tr("Compare it with the fingerprint your GPU provider shows. Trust it "
                               "only if they match."), self.tr("Trust and save")):  # fmt: skip
            self._busy(False)
            self.status.show_message("info", self.tr("Not saved: the key was not trusted."))
            return
        jobs.call(rb.save_box, form, accepted_fingerprint=fingerprint, owner=self,
                  on_result=lambda box: self._saved(box), on_error=self._show_error)  # fmt: skip

    def _saved(self, box: Any) -> None:
        self._busy(False)
        self.reports.pop(box.name, None)
        self.status.show_message(
            "ok", self.tr("Saved {name}; logging in works.").format(name=box.name)
        )
        self.refresh(select=box.name)

    def remove(self) -> None:
        name = self.selected()
        if name is None or not confirm(self, self.tr("Remove box"), self.tr("Remove {name}?").format(
                name=name), self.tr("Its saved password and settings are removed from this "
                                    "computer; nothing on the box is deleted."), self.tr("Remove")):  # fmt: skip
            return
        self.reports.pop(name, None)
        jobs.call(rb.delete_box, name, owner=self, on_result=lambda _r: self.refresh(),
                  on_error=self._show_error)  # fmt: skip

    # -- test / set up ------------------------------------------------------------------------
    def test(self) -> None:
        name = self.selected()
        if name is None:
            return
        self._busy(True)
        self.status.show_message("info", self.tr("Testing the connection…"))
        jobs.call(rb.box_report, name, owner=self, on_result=lambda r: self._tested(name, r),
                  on_error=self._show_error)  # fmt: skip

    def _tested(self, name: str, report: Any) -> None:
        self.reports[name] = report
        self._busy(False)

    def setup(self) -> None:
        name = self.selected()
        if name is None:
            return
        self._busy(True)
        self.setup_log.clear()
        self.setup_log.show()
        self.setup_bar.show()
        self.setup_cancel.show()
        self.setup_cancel.setEnabled(True)
        self.status.show_message("info", self.tr("Setting up the training runtime on {name}; this "
                                                 "can take a while…").format(name=name))  # fmt: skip
        spec = {"name": name, "hf_endpoint": self.hf_endpoint(),
                "system_site_packages": self.reuse_packages.isChecked()}  # fmt: skip
        self._setup_job = jobs.start_job(rb.setup_job, spec, owner=self,
                                         on_log=lambda text, _lvl: self.setup_log.appendPlainText(text),
                                         on_result=lambda _p: self._set_up(name),
                                         on_error=self._setup_failed,
                                         on_cancelled=self._setup_cancelled)  # fmt: skip

    def cancel_setup(self) -> None:
        """Stop the setup: the install command on the box is killed (a later Set up starts over)."""
        if self._setup_job is not None:
            self.setup_cancel.setEnabled(False)
            self.status.show_message("info", self.tr("Cancelling the setup…"))
            self._setup_job.cancel()

    def _setup_ended(self) -> None:
        self._setup_job = None
        self.setup_bar.hide()
        self.setup_cancel.hide()

    def _setup_cancelled(self) -> None:
        self._setup_ended()
        self._busy(False)
        self.status.show_message("info", self.tr("Setup was cancelled; the runtime is not ready. "
                                                 "Set up again to start over."))  # fmt: skip

    def _set_up(self, name: str) -> None:
        self._setup_ended()
        self._busy(False)
        self.status.show_message("ok", self.tr("{name} is ready to train.").format(name=name))
        self.test()

    def _setup_failed(self, error: Any) -> None:
        self._setup_ended()
        self._show_error(error)

    def gpu_memory_gb(self) -> float | None:
        report = self.reports.get(self.selected() or "")
        if report is None or not report.gpus:
            return None
        return max(g["memory_mb"] for g in report.gpus) / 1024

    # -- texts --------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        if self.combo.count():
            self.combo.setItemText(0, self.tr("This computer"))
        self.add_button.setText(self.tr("Add box…"))
        self.edit_button.setText(self.tr("Edit…"))
        self.remove_button.setText(self.tr("Remove"))
        self.test_button.setText(self.tr("Test connection"))
        self.setup_button.setText(self.tr("Set up"))
        self.setup_cancel.setText(self.tr("Cancel"))
        self.reuse_packages.setText(self.tr("Reuse the box's Python packages (torch of the image)"))
        self.reuse_packages.setToolTip(self.tr(
            "Set up builds the runtime on top of the box's own Python and keeps the PyTorch its "
            "image ships instead of downloading another (about 2 GB). Use it on images that come "
            "with PyTorch (e.g. a PyTorch or conda image)."))  # fmt: skip
        self.combo.setToolTip(self.tr("Train on this computer, or on a rented GPU box over SSH. "
                                      "A run on a box goes on when you close the app."))  # fmt: skip
