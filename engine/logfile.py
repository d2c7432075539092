"""Tuneforge's log file: one rotating file per program (``cli.log``, ``app.log``).

Where: ``TUNEFORGE_LOG_DIR``, else ``$TUNEFORGE_HOME/logs`` (``TUNEFORGE_HOME`` is the one
root for settings, data and logs, used by tests and portable setups), else platformdirs'
``user_log_dir("Tuneforge")``. What: job stages, warnings, errors (HTTP errors, a crashed
child's stderr tail); ``--verbose`` mirrors the same lines to stderr. Secrets never reach
it: every record passes :class:`RedactingFilter` before any handler writes it.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path
from typing import Any

from engine.appdirs import log_dir, tuneforge_home  # noqa: F401 - re-exported

MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
REDACTED = "***"

_SECRET_KEYS = (
    r"(?:hf_?|api_?|access_?|auth_?|refresh_?|bearer_?)?token|password|passwd|pwd|secret"
    r"|api[_-]?key|access[_-]?key|client[_-]?secret|authorization|cookie"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: Bearer abc", "'Authorization': 'Basic abc'"
    (re.compile(r"(?i)\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{4,}"), rf"\1 {REDACTED}"),
    # Hugging Face tokens anywhere (hf_…, api_org_…)
    (re.compile(r"\b(?:hf|api_org)_[A-Za-z0-9]{10,}\b"), REDACTED),
    # key=value, key: value, "key": "value" (JSON, dict reprs, query strings, env dumps)
    (
        re.compile(
            rf"(?i)([\"']?\b(?:{_SECRET_KEYS})[\"']?\s*[:=]\s*[\"']?)"
            rf"(?!{re.escape(REDACTED)})(?!Bearer\b|Basic\b|Token\b)[^\s\"',;&}}]+"
        ),
        rf"\1{REDACTED}",
    ),
    # https://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), rf"\1:{REDACTED}@"),
)


def redact(text: str) -> str:
    """``text`` with tokens, passwords and credentials replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record (message, arguments and traceback) without its secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_path(program: str) -> Path:
    """Where ``program`` ("cli", "app") writes its log."""
    return log_dir() / f"{program}.log"


_HANDLER_MARK = "_tuneforge_handler"


def setup_logging(program: str, *, verbose: bool = False) -> Path | None:
    """Send log records of this process to the rotating ``program`` log (and stderr if
    ``verbose``). Idempotent: a second call replaces the handlers of the first. Returns the
    log file, or ``None`` when its folder cannot be written (then only ``verbose`` logs)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("urllib3", "PIL", "filelock", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    formatter = logging.Formatter(FORMAT)
    target = log_path(program)
    path: Path | None = target
    handlers: list[logging.Handler] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                target, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
            )
        )
    except OSError:
        path = None
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    logging.getLogger("engine").info("log started: %s %s", program, " ".join(sys.argv[1:]))
    return path


def active_log_file() -> Path | None:
    """The file this process logs to, if :func:`setup_logging` opened one."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _HANDLER_MARK, False) and isinstance(
            handler, logging.handlers.RotatingFileHandler
        ):
            return Path(handler.baseFilename)
    return None


def log_job_event(logger: logging.Logger, event: Any) -> None:
    """One log line per job event worth keeping: stages, warnings, results, errors."""
    from engine.jobs.events import Cancelled, Failed, Finished, Log, Progress

    if isinstance(event, Progress):
        if event.total and event.done >= event.total:
            logger.info("stage %s done", event.stage)
        elif not event.done:
            logger.info("stage %s started", event.stage)
    elif isinstance(event, Log):
        logger.log(logging.WARNING if event.level == "warning" else logging.INFO, "%s", event.text)
    elif isinstance(event, Failed):
        error = event.error or {}
        details = error.get("details") or {}
        logger.error(
            "job failed [%s]: %s%s",
            error.get("code"),
            error.get("message"),
            f" → {error['hint']}" if error.get("hint") else "",
        )
        for key in ("stderr", "traceback"):
            if details.get(key):
                logger.error("%s:\n%s", key, details[key])
    elif isinstance(event, Cancelled):
        logger.info("job cancelled: %s", event.reason)
    elif isinstance(event, Finished):
        logger.info("job finished")
