"""Plain functions the "Where to train" panel runs in worker jobs: the saved boxes of
``engine.remote``, the host key to confirm, add/edit, remove, test and set up a box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class BoxForm:
    """What the box dialog collects. ``password``: None keeps the stored one (edit)."""

    name: str
    host: str
    port: int
    user: str
    key_file: str | None
    password: str | None
    use_password: bool


def saved_boxes() -> list[Any]:
    from engine.remote import load_boxes

    return sorted(load_boxes().values(), key=lambda b: b.name.lower())


def host_fingerprint(host: str, port: int) -> str:
    """``ssh-ed25519 SHA256:…`` of the key the host presents (nothing is trusted yet)."""
    from engine.remote.ssh import fingerprint, scan_host_key

    key = scan_host_key(host=host, port=port)
    return f"{key.get_name()} {fingerprint(key)}"


def save_box(form: BoxForm, *, accepted_fingerprint: str) -> Any:
    """Add (or replace) a box, trusting only the host key the user confirmed."""
    from engine.remote import Box, add_box, load_boxes
    from engine.remote.boxes import load_password

    old = load_boxes().get(form.name)
    password = form.password if form.use_password else None
    if form.use_password and not password and old is not None and old.has_password:
        password = load_password(form.name)
    box = Box(name=form.name, host=form.host, port=form.port, user=form.user,
              key_file=None if form.use_password else form.key_file,
              python=old.python if old else None,
              work_dir=old.work_dir if old else "~/tuneforge")  # fmt: skip
    return add_box(box=box, password=password, confirm=lambda fp: fp == accepted_fingerprint)


def delete_box(name: str) -> None:
    from engine.remote import remove_box

    remove_box(name)


def box_report(name: str) -> Any:
    """What ``tuneforge remote check`` reports: GPUs, CUDA, free disk, the runtime."""
    from engine.remote import check_box, connect

    with connect(name) as conn:
        return check_box(conn)


def setup_job(spec: dict[str, Any], ctx: Any) -> Any:
    """``tuneforge remote setup`` as a job: each step and the installer's output are log
    lines (the progress); a cancel kills the install on the box. ``spec``: the box's ``name`` and any ``SetupOptions`` field."""
    import dataclasses

    from engine.remote import SetupOptions, connect, setup_box

    known = {f.name for f in dataclasses.fields(SetupOptions)}
    given = {k: v for k, v in spec.items() if k in known and v not in (None, "")}
    if "find_links" in given:
        given["find_links"] = tuple(given["find_links"])
    options = SetupOptions(**given)
    with connect(spec["name"]) as conn:
        return setup_box(conn, options=options, on_line=lambda line: ctx.log(line), ctx=ctx)
