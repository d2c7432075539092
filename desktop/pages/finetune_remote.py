"""The Fine-tune page's remote side: which backend a run uses, remembering the runs going on
a box (settings ``remote_runs``), re-attaching to them when the app starts again, detaching
(not stopping) when it closes, and the run history (open, delete) of local and remote runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop import jobs
from desktop.remote_backend import RemoteAttach, RemoteBackend, list_runs_with_place, remote_of
from desktop.widgets.dialogs import confirm


class RemoteRunsMixin:
    """Mixed into :class:`~desktop.pages.finetune_page.FinetunePage` (uses its widgets)."""

    settings: Any
    backend: Any
    active_backend: Any
    run_dir: Path | None
    base_path: Path | None
    mode: str
    runs: Any
    run_panel: Any
    where: Any
    remote_factory: Any

    # -- which backend -------------------------------------------------------------------------
    def backend_for_start(self) -> Any:
        """The backend for a new run: this computer's, or the chosen box's."""
        box = self.where.selected()
        if box is None:
            return self.backend
        text = self.base_edit.text().strip()  # type: ignore[attr-defined]
        hf_id = None if Path(text).is_dir() else text  # an id: the box downloads it itself
        return self.remote_factory(box, base=hf_id)

    def backend_for(self, run_dir: Path) -> Any:
        state = remote_of(run_dir)
        return self.remote_factory(state["box"]) if state else self.backend

    @property
    def running_remotely(self) -> bool:
        return self.mode == "running" and getattr(self.active_backend, "kind", "") == "remote"

    @property
    def running_locally(self) -> bool:
        return self.mode == "running" and not self.running_remotely

    def detach(self) -> None:
        """At quit: leave a remote run going (it is remembered; the next start re-attaches)."""
        if self.running_remotely:
            self.detached = True
            self.active_backend.detach()

    # -- remembered remote runs ---------------------------------------------------------------
    def remembered_runs(self) -> list[str]:
        return [str(p) for p in self.settings.values.remote_runs if isinstance(p, str)]

    def remember_run(self, run_dir: Path) -> None:
        runs = [p for p in self.remembered_runs() if p != str(run_dir)]
        self.settings.update(remote_runs=[*runs, str(run_dir)])

    def forget_run(self, run_dir: Path | None) -> None:
        if run_dir is not None and str(run_dir) in self.remembered_runs():
            self.settings.update(
                remote_runs=[p for p in self.remembered_runs() if p != str(run_dir)]
            )

    def reattach(self) -> None:
        """On start: follow the newest remembered remote run again (the chart continues)."""
        for path in reversed(self.remembered_runs()):
            if remote_of(Path(path)):
                self.attach(Path(path))
                return
            self.forget_run(Path(path))

    def attach(self, run_dir: Path) -> None:
        if self.mode == "running":
            return
        self.run_dir = Path(run_dir)
        self.run_panel.reset()
        self._launch(RemoteAttach(out=self.run_dir), self.backend_for(self.run_dir))  # type: ignore[attr-defined]

    def on_records(self, records: list[dict[str, Any]]) -> None:
        if self.run_dir is not None and any(r.get("event") == "remote_started" for r in records):
            self.remember_run(self.run_dir)
        self.run_panel.add_records(records)

    # -- history ------------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        jobs.call(list_runs_with_place, self.runs_root(), owner=self,  # type: ignore[attr-defined, arg-type]
                  on_result=self.runs.set_runs, on_error=jobs.log_error)  # fmt: skip

    def open_run(self, run_dir: Path) -> None:
        """Show an earlier run's chart (and make it the one Resume / Package act on); a remote
        run that has not ended is followed again."""
        if self.mode == "running":
            return
        from engine.train.overview import summarize_run
        from engine.train.rundir import read_events

        def load(path: Path) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
            return summarize_run(path), read_events(path), remote_of(path)

        jobs.call(load, Path(run_dir), owner=self, on_result=self._opened)  # type: ignore[arg-type]

    def _opened(self, result: tuple[Any, list[dict[str, Any]], dict[str, Any]]) -> None:
        summary, events, remote = result
        if summary.base and Path(summary.base).is_dir():
            self.base_path = Path(summary.base)
        if remote and summary.status == "incomplete":
            self.attach(Path(summary.path))
            return
        self.run_dir = Path(summary.path)
        self.run_panel.reset()
        self.run_panel.add_records(events)
        self.mode = {"finished": "finished", "stopped": "stopped", "failed": "failed"}.get(
            summary.status, "stopped")  # fmt: skip
        self._update_buttons()  # type: ignore[attr-defined]

    def _delete_run(self, run_dir: Path) -> None:
        if self.mode == "running" and self.run_dir == Path(run_dir):
            return
        kept = QCoreApplication.translate("FinetunePage", "The run's files on the box are kept.")
        extra = "\n" + kept if remote_of(Path(run_dir)) else ""
        if not confirm(self, QCoreApplication.translate("FinetunePage", "Delete run"),  # type: ignore[arg-type]
                       QCoreApplication.translate("FinetunePage", "Delete {name}?").format(
                           name=Path(run_dir).name), str(run_dir) + extra,
                       QCoreApplication.translate("FinetunePage", "Delete")):  # fmt: skip
            return
        from engine.train.overview import delete_run

        self.forget_run(Path(run_dir))
        jobs.call(delete_run, Path(run_dir), owner=self, on_ended=lambda _s: self.refresh_runs())  # type: ignore[arg-type]


__all__ = ["RemoteBackend", "RemoteRunsMixin"]
