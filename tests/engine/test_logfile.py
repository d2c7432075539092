"""The log file: rotating, in TUNEFORGE_HOME during tests, never holding a secret."""

from __future__ import annotations

import logging
import logging.handlers
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from engine.logfile import active_log_file, log_dir, redact, setup_logging

ROOT = Path(__file__).resolve().parents[2]

SECRETS = [
    ("Authorization: Bearer sk-abcdef0123456789", "sk-abcdef0123456789"),
    ("headers={'Authorization': 'Bearer abc.def-ghi_jkl'}", "abc.def-ghi_jkl"),
    ("HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
    ("using token hf_ZyXwVuTsRqPoNmLkJiHg", "hf_ZyXwVuTsRqPoNmLkJiHg"),
    ('{"password": "hunter2 is long", "user": "me"}', "hunter2"),
    ("proxy https://alice:s3cr3t@proxy.example:8080/", "s3cr3t"),
    ("api_key=XYZ987654321&q=1", "XYZ987654321"),
    ("token: 'plain-token-value'", "plain-token-value"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_redact_removes_secrets(text, secret):
    assert secret not in redact(text)
    assert "***" in redact(text)


def test_redact_keeps_ordinary_text():
    text = "stage convert done: 12/12 tensors, Qwen2.5 模型 at /tmp/a b/token_counts.txt"
    assert redact(text) == text


@pytest.fixture
def fresh_logging(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEFORGE_LOG_DIR", str(tmp_path / "日志 logs"))
    root = logging.getLogger()
    level = root.level
    yield tmp_path / "日志 logs"
    for handler in [h for h in root.handlers if getattr(h, "_tuneforge_handler", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_secrets_never_reach_the_file(fresh_logging):
    path = setup_logging("cli")
    assert path == fresh_logging / "cli.log" and active_log_file() == path
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_tuneforge_handler", 0))
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    log = logging.getLogger("engine.test")
    log.info("GET %s with %s", "https://huggingface.co/x", {"Authorization": "Bearer SECRET1abc"})
    log.warning("login password=SECRET2xyz failed")
    try:
        raise RuntimeError("token=SECRET3qqq rejected")
    except RuntimeError:
        log.exception("upload failed with hf_SECRET4abcdefghijk")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "https://huggingface.co/x" in text and "upload failed" in text
    for n in range(1, 5):
        assert f"SECRET{n}" not in text


def test_cli_writes_its_log_and_verbose_mirrors_it(tmp_path):
    logs = tmp_path / "logs dir 日志"
    env = {
        **os.environ,
        "TUNEFORGE_LOG_DIR": str(logs),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    missing = tmp_path / "no such folder"
    cmd = [sys.executable, "-m", "engine", "--verbose", "inspect", str(missing)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 1
    text = (logs / "cli.log").read_text(encoding="utf-8")
    assert "no such folder" in text and "ERROR" in text
    assert "ERROR" in proc.stderr and "engine.cli" in proc.stderr  # mirrored
    quiet = subprocess.run(cmd[:3] + cmd[4:], env=env, capture_output=True, text=True)
    assert "engine.cli" not in quiet.stderr


def test_tests_never_use_the_real_log_dir():
    real = Path(platformdirs.user_log_dir("Tuneforge", appauthor=False))
    assert not log_dir().is_relative_to(real)
    assert log_dir().is_relative_to(Path(os.environ["TUNEFORGE_HOME"]))


def test_a_crashed_childs_stderr_tail_is_logged(caplog):
    """run_in_child reports a crash as a Failed event with the stderr tail: it reaches the log."""
    from engine.jobs.events import Failed, Progress
    from engine.logfile import log_job_event

    log = logging.getLogger("engine.test.jobs")
    with caplog.at_level(logging.INFO, logger="engine.test.jobs"):
        log_job_event(log, Progress(stage="convert", done=0, total=10))
        log_job_event(
            log,
            Failed(
                error={
                    "code": "crashed",
                    "message": "the worker process exited with code -11 without a result",
                    "hint": "See the log for the native error output.",
                    "details": {"stderr": "ggml_backend_amx_mul_mat: oops\nSegmentation fault"},
                }
            ),
        )
    text = caplog.text
    assert "stage convert started" in text
    assert "exited with code -11" in text and "ggml_backend_amx_mul_mat" in text
