"""A real sshd on 127.0.0.1: host keys pinned, changed keys refused, wrong key refused, quoting."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from engine.remote import Box, add_box, connect, load_boxes
from engine.remote.errors import AuthFailed, HostKeyChanged, HostKeyUnknown, Unreachable
from engine.remote.ssh import Connection, quote_command
from tests.engine.remote.sshd import free_port

NASTY = ["a b", "投喂的 资料", "it's", 'say "hi"', "$(touch pwned)", "`id`", "x;rm -rf y", "-n"]


def test_quote_command_round_trips_through_a_real_shell(tmp_path):
    command = quote_command(["printf", "%s\\n", *NASTY])
    out = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.splitlines() == NASTY
    assert shlex.split(command)[2:] == NASTY
    assert not (tmp_path / "pwned").exists()


def _box(sshd, name="gpu", **kw) -> Box:
    fields = dict(
        name=name, host="127.0.0.1", port=sshd.port, user=sshd.user, key_file=str(sshd.user_key)
    )
    fields.update(kw)
    return Box(**fields)


def test_add_pins_the_host_key_and_commands_are_quoted(sshd, tmp_path, app_home):
    seen = []
    add_box(box=_box(sshd), confirm=lambda fp: seen.append(fp) or True)
    assert seen and seen[0].startswith("ssh-ed25519 SHA256:")
    assert (
        (app_home / "config" / "remote" / "known_hosts")
        .read_text()
        .startswith(f"[127.0.0.1]:{sshd.port}")
    )
    assert "gpu" in load_boxes()
    target = tmp_path / "工作 dir 'q'"
    with connect("gpu") as conn:
        conn.run(["mkdir", "-p", str(target)])
        out = conn.run(["printf", "%s\\n", *NASTY], check=True).stdout
    assert out.splitlines() == NASTY
    assert target.is_dir()


def test_refused_host_key_saves_nothing(sshd, app_home):
    with pytest.raises(HostKeyUnknown):
        add_box(box=_box(sshd), confirm=lambda fp: False)
    assert load_boxes() == {}


def test_unpinned_host_is_refused(sshd):
    with pytest.raises(HostKeyUnknown, match="not trusted"):
        Connection(_box(sshd))


def test_wrong_key_is_a_clear_error(sshd, capsys):
    from engine.cli.main import main

    add_box(box=_box(sshd))
    with pytest.raises(AuthFailed, match="refused the key"):
        Connection(_box(sshd, key_file=str(sshd.other_key)))
    rc = main(["remote", "add", "bad", "--host", "127.0.0.1", "--port", str(sshd.port), "--user",
               sshd.user, "--key", str(sshd.other_key), "--yes"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "refused the key" in err and "Traceback" not in err


def test_unreachable_host(app_home):
    with pytest.raises(Unreachable):
        add_box(box=Box(name="x", host="127.0.0.1", port=free_port(), user="u", key_file=None))


def test_changed_host_key_is_refused_with_how_to_trust(sshd, capsys):
    from engine.cli.main import main

    add_box(box=_box(sshd))
    sshd.new_host_key()
    with pytest.raises(HostKeyChanged) as info:
        connect("gpu")
    assert "host key" in info.value.message and "changed" in info.value.message
    assert "tuneforge remote add gpu" in (info.value.hint or "")
    rc = main(["remote", "check", "gpu"])
    err = capsys.readouterr().err
    assert rc == 1 and "changed" in err and "Traceback" not in err
    # trusting the new key (re-add) makes it work again
    add_box(box=_box(sshd))
    with connect("gpu") as conn:
        assert conn.run(["echo", "ok"]).stdout.strip() == "ok"


def test_no_gpu_and_full_disk_are_clear_errors(sshd, tmp_path, capsys):
    import shutil

    from engine.cli.main import main
    from engine.remote import check_box
    from engine.remote.box import BoxReport, require_trainable
    from engine.remote.errors import DiskFull, NoGpu

    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has nvidia-smi: the box would have a GPU")
    add_box(box=_box(sshd, work_dir=str(tmp_path / "w")))
    data = tmp_path / "d.jsonl"
    data.write_text('{"instruction": "a", "output": "b"}\n')
    rc = main(
        [
            "train",
            "--on",
            "gpu",
            "--base",
            "/nowhere",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "has no NVIDIA GPU" in err and "Traceback" not in err
    with connect("gpu") as conn:
        report = check_box(conn)
    full = BoxReport(
        **{**report.__dict__, "free_gb": 0.5, "gpus": ({"name": "H100", "memory_mb": 81559},)}
    )
    with pytest.raises(DiskFull, match=r"only 0\.5 GB free"):
        require_trainable(full, box="gpu", need_gpu=True)
    with pytest.raises(NoGpu):
        require_trainable(report, box="gpu", need_gpu=True)
