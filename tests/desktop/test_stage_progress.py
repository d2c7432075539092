"""The steps card: a step that did not run says "skipped (why)", a failed check is never green."""

from __future__ import annotations

from desktop.widgets.stage_progress import StageProgress


def _detail(card: StageProgress, key: str) -> str:
    return card.detail_text(next(s for s in card._stages if s.key == key))


def test_finish_marks_skipped_and_failed_steps(qtbot):
    card = StageProgress()
    qtbot.addWidget(card)
    card.set_stages([(k, k) for k in ("convert", "modelfile", "upload", "create", "smoke")])
    card.update_stage("convert", 10, 10, "B")
    card.update_stage("smoke", 3, 64, "tokens")  # the smoke chat ran...
    card.finish(
        skipped={"upload": "files only", "create": "files only"},
        failed={"smoke": "the reply had problems"},  # ...and found a problem
    )
    states = {k: card.state_of(k) for k in card.stage_keys()}
    assert states == {
        "convert": "done",
        "modelfile": "done",
        "upload": "skipped",
        "create": "skipped",
        "smoke": "failed",
    }
    assert _detail(card, "upload") == "skipped (files only)"
    assert _detail(card, "smoke") == "failed (the reply had problems)"


def test_finish_without_verdicts_is_all_done(qtbot):
    card = StageProgress()
    qtbot.addWidget(card)
    card.set_stages([("convert", "c"), ("smoke", "s")])
    card.update_stage("convert", 1, 2)
    card.finish()
    assert {card.state_of(k) for k in card.stage_keys()} == {"done"}
