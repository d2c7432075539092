"""`train --on BOX --base ORG/NAME`: the base is downloaded on the box, from the Hub that
`remote setup --hf-endpoint` chose, offline: the endpoint is a local stand-in serving the
Hub's routes (tests/engine/remote/hub_server.py). A repo the Hub does not have fails the run
with one line, not a traceback and not an "interrupted" run."""

from __future__ import annotations

import json

import pytest

from engine.remote import Box, add_box, connect, list_runs
from tests.engine.remote.hub_server import HubServer
from tests.engine.remote.sshd import Sshd, missing_reason
from tests.engine.train.helpers import write_dataset

pytest.importorskip("torch")
pytest.importorskip("huggingface_hub")
pytestmark = pytest.mark.slow

REPO_ID = "tuneforge-test/tiny-qwen2"
TRAIN = ["--device", "cpu", "--batch-size", "4", "--cutoff", "128", "--no-gradient-checkpointing",
         "--max-steps", "2"]  # fmt: skip


@pytest.fixture(scope="module")
def hub(tiny_models):
    server = HubServer(repo_id=REPO_ID, folder=tiny_models("qwen2"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory):
    return tmp_path_factory.mktemp("box_hf_home")


@pytest.fixture(scope="module")
def hub_sshd(tmp_path_factory, hf_home):
    """The box keeps its Hugging Face cache in a temp folder (not this machine's)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = Sshd(tmp_path_factory.mktemp("sshd"), extra=(f"SetEnv HF_HOME={hf_home}",))
    server.start()
    yield server
    server.stop()


def test_hf_base_is_downloaded_on_the_box_from_the_chosen_endpoint(
    hub, hub_sshd, hf_home, box_python, tmp_path, capsys
):
    from engine.cli.main import main

    work = tmp_path / "box 工作"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=hub_sshd.port, user=hub_sshd.user,
                    key_file=str(hub_sshd.user_key), python=box_python, work_dir=str(work)))  # fmt: skip
    assert main(["remote", "setup", "gpu", "--hf-endpoint", hub.url]) == 0
    data = write_dataset(tmp_path / "d.jsonl", n=8)
    out = tmp_path / "out"
    rc = main(
        ["train", "--on", "gpu", "--base", REPO_ID, "--data", str(data), "--out", str(out), *TRAIN]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    got = {
        r.split("/resolve/", 1)[1].split("/", 1)[1]
        for r in hub.requests
        if r.startswith("GET /" + REPO_ID)
    }
    assert {"config.json", "model.safetensors"} <= got
    snapshots = list(
        (hf_home / "hub" / "models--tuneforge-test--tiny-qwen2" / "snapshots").iterdir()
    )
    assert len(snapshots) == 1 and (snapshots[0] / "model.safetensors").is_file()
    config = json.loads((out / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["base_model_name_or_path"].startswith(str(hf_home))  # trained on the download
    with connect("gpu") as conn:
        assert [r.base for r in list_runs(conn)] == [REPO_ID]

    rc = main(["train", "--on", "gpu", "--base", "tuneforge-test/nothing", "--data", str(data),
               "--out", str(tmp_path / "out2"), *TRAIN])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 1 and "cannot download tuneforge-test/nothing on the box" in captured.err
    assert "Traceback" not in captured.err
    with connect("gpu") as conn:
        assert [r.status for r in list_runs(conn)] == ["finished", "failed"]
