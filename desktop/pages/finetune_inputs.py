"""The Fine-tune page's inputs: base model (folder, HF id, HF cache, download) and dataset,
the preview rendered with the base's template, the data check (in a child process) and the
memory-fit estimate. A mixin of :class:`~desktop.pages.finetune_page.FinetunePage`; its
texts keep the page's translation context."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QWidget,
)

from desktop import finetune_backend as fb
from desktop import jobs
from desktop.pages.finetune_options import TrainOptions


def _check_in_child(spec: Any, ctx: Any) -> dict[str, Any]:
    from engine.jobs import run_in_child
    from engine.train.overview import CHECK_JOB

    outcome = run_in_child(CHECK_JOB, spec, cancel_event=ctx.cancel_event)
    if not outcome.ok:
        raise outcome.error or RuntimeError("the data check failed")
    return dict(outcome.result)


class InputsMixin:
    base_edit: QLineEdit
    data_edit: QLineEdit
    cached: QComboBox
    dataset_combo: QComboBox
    download_button: QPushButton
    input_note: QLabel
    preview: QTextBrowser
    check_summary: QLabel
    histogram: QLabel
    errors: QListWidget
    error_line: QTextBrowser
    options: TrainOptions
    base_path: Path | None
    check: dict[str, Any] | None
    error_items: list[dict[str, Any]]
    fits: bool
    _check_job: jobs.GuiJob | None
    _debounce: QTimer

    def _update_buttons(self) -> None:
        raise NotImplementedError

    def _widget(self) -> QWidget:
        return cast(QWidget, self)

    def set_dataset(self, path: Path) -> None:
        self.data_edit.setText(str(path))
        self.refresh_inputs()

    def set_base(self, path: Path | str) -> None:
        self.base_edit.setText(str(path))
        self.refresh_inputs()

    def _browse_base(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self._widget(), QCoreApplication.translate("FinetunePage", "Base model folder")
        )
        if folder:
            self.set_base(folder)

    def _browse_data_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._widget(), QCoreApplication.translate("FinetunePage", "Dataset"), "",
                                              "Datasets (*.json *.jsonl *.csv *.parquet)")  # fmt: skip
        if path:
            self.set_dataset(Path(path))

    def _browse_data_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self._widget(),
            QCoreApplication.translate("FinetunePage", "LLaMA-Factory dataset folder"),
        )
        if folder:
            self.set_dataset(Path(folder))

    def _pick_cached(self, index: int) -> None:
        path = self.cached.itemData(index)
        if path:
            self.set_base(path)

    def _download(self) -> None:
        repo = self.base_edit.text().strip()
        if not repo or "/" not in repo or Path(repo).exists():
            return
        self.download_button.setEnabled(False)
        self.input_note.setText(
            QCoreApplication.translate("FinetunePage", "Downloading {repo}…").format(repo=repo)
        )

        def progress(_stage: str, done: float, total: float, _unit: str) -> None:
            self.input_note.setText(QCoreApplication.translate("FinetunePage", "Downloading {repo}… {done} of {total} files").format(
                repo=repo, done=int(done), total=int(total)))  # fmt: skip

        jobs.start_job(lambda _s, ctx: fb.download_model(repo, ctx), owner=self._widget(),
                       on_progress=progress, on_result=lambda p: self.set_base(p),
                       on_error=self._input_error,
                       on_ended=lambda _s: self.download_button.setEnabled(True))  # fmt: skip

    def refresh_inputs(self) -> None:
        """Resolve the base, then preview and check the dataset (each in a job)."""
        self._debounce.stop()
        base_text, data_text = self.base_edit.text().strip(), self.data_edit.text().strip()
        jobs.call(self._resolve, base_text, data_text, owner=self._widget(), on_result=self._resolved,
                  on_error=self._input_error)  # fmt: skip

    @staticmethod
    def _resolve(base_text: str, data_text: str) -> tuple[Path | None, Path | None, list[str]]:
        base = fb.resolve_base(base_text)
        data = Path(data_text) if data_text and Path(data_text).exists() else None
        names = fb.dataset_names(data) if data is not None and data.is_dir() else []
        return base, data, names

    def _resolved(self, result: tuple[Path | None, Path | None, list[str]]) -> None:
        base, data, names = result
        self.base_path = base
        current = self.dataset_combo.currentText()
        self.dataset_combo.clear()
        self.dataset_combo.addItems(names)
        if current in names:
            self.dataset_combo.setCurrentText(current)
        self.dataset_combo.setVisible(bool(names))
        base_text = self.base_edit.text().strip()
        self.download_button.setVisible(bool(base_text) and base is None and "/" in base_text
                                        and not Path(base_text).exists())  # fmt: skip
        self.check = None
        self._update_buttons()
        self._estimate()
        if base is None or data is None:
            self.input_note.setText(QCoreApplication.translate("FinetunePage", "Choose a base model (a folder, or a Hugging Face id) "
                                            "and a dataset file or folder."))  # fmt: skip
            return
        self.input_note.setText("")
        dataset = self.dataset_combo.currentText() or None if names else None
        from engine.train.overview import CheckRequest, preview_rows

        jobs.call(preview_rows, data=data, dataset=dataset, base=base, owner=self._widget(),
                  on_result=self._show_preview, on_error=self._input_error)  # fmt: skip
        if self._check_job is not None:
            self._check_job.cancel()
        self.check_summary.setText(
            QCoreApplication.translate("FinetunePage", "Checking the dataset…")
        )
        request = CheckRequest(
            data=data, dataset=dataset, base=base, cutoff=self.options.cutoff.value()
        )
        self._check_job = jobs.start_job(_check_in_child, request, owner=self._widget(),
                                         on_result=self._show_check, on_error=self._input_error)  # fmt: skip

    def _input_error(self, error: Any) -> None:
        self.input_note.setText(str(getattr(error, "message", error)))
        self.check_summary.setText("")

    def _show_preview(self, rows: list[Any]) -> None:
        from desktop import theme

        parts, mark = [], theme.color("success_soft")
        for row in rows:
            body = "".join(
                f'<span style="background-color:{mark}">{html.escape(t)}</span>' if trained
                else html.escape(t) for t, trained in row.segments)  # fmt: skip
            where = Path(row.where.rsplit(":", 1)[0]).name + ":" + row.where.rsplit(":", 1)[-1]
            parts.append(f"<p><b>{html.escape(where)}</b></p><pre>{body}</pre>")
        self.preview.setHtml(
            "<hr>".join(parts)
            or html.escape(QCoreApplication.translate("FinetunePage", "No examples."))
        )

    def _show_check(self, report: dict[str, Any]) -> None:
        self._check_job = None
        self.check = report
        self.check_summary.setText(QCoreApplication.translate("FinetunePage",
            "{examples} examples · {tokens} tokens · {truncated} longer than the cutoff of "
            "{cutoff} · {errors} problem(s)").format(examples=report["examples"],
            tokens=report["total_tokens"], truncated=report["truncated"], cutoff=report["cutoff"],
            errors=len(report["errors"])))  # fmt: skip
        bins = report.get("histogram") or []
        top = max([b["count"] for b in bins] or [1]) or 1
        lines = []
        for b in bins:
            name = (
                f"{b['from']}–{b['to']}"
                if b["from"] <= report["cutoff"]
                else f"> {report['cutoff']}"
            )
            lines.append(f"{name:>13} {'█' * round(24 * b['count'] / top):<24} {b['count']}")
        self.histogram.setText(
            "<pre>" + html.escape("\n".join(lines)) + "</pre>" if report["examples"] else ""
        )
        self.errors.clear()
        self.error_items = list(report["errors"])
        for e in self.error_items:
            self.errors.addItem(f"{Path(str(e['file'])).name}:{e['line']}: {e['message']}")
        self.errors.setVisible(bool(self.error_items))
        self.error_line.hide()
        self._update_buttons()

    def _show_error_line(self, row: int) -> None:
        if not 0 <= row < len(self.error_items):
            return
        e = self.error_items[row]

        def show(text: str) -> None:
            self.error_line.setPlainText(f"{e['line']}: {text}")
            self.error_line.show()

        jobs.call(
            fb.read_line,
            Path(str(e["file"])),
            int(e["line"]),
            owner=self._widget(),
            on_result=show,
            on_error=jobs.log_error,
        )

    def _estimate(self) -> None:
        if self.base_path is None:
            self.fits = self.options.set_fit(None)
            return
        from engine.train.overview import estimate_for_base

        o = self.options
        jobs.call(estimate_for_base, self.base_path, cutoff=o.cutoff.value(),
                  batch_size=o.batch_size.value(), qlora=o.qlora.isChecked(),
                  lora_rank=o.lora_rank.value(), owner=self._widget(), on_result=self._got_fit,
                  on_error=jobs.log_error)  # fmt: skip

    def _got_fit(self, estimate: Any) -> None:
        self.fits = self.options.set_fit(estimate)
