"""Finding the base model: --base, recorded paths, HF / ModelScope caches, and a download
through HF_ENDPOINT (a local fake mirror that speaks the Hub's HTTP API)."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.errors import JobCancelled
from engine.jobs import JobContext, null_context
from engine.jobs.events import Progress
from engine.lora import (
    AdapterError,
    BaseModelNotFoundError,
    read_adapter,
    resolve_base,
    resolve_base_locally,
)
from engine.lora.resolve import hf_hub_cache, repo_id_candidates

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def clean_caches(tmp_path, monkeypatch):
    for var in (
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "HF_HOME",
        "HF_ENDPOINT",
        "XDG_CACHE_HOME",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf home 缓存"))
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "modelscope"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return tmp_path


def adapter_recording(adapter: Path, folder: Path, base_name: str | None) -> Path:
    """A copy of ``adapter`` whose config records ``base_name`` as its base."""
    shutil.copytree(adapter, folder)
    config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base_name
    (folder / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def put_in_hf_cache(model: Path, repo_id: str, *, ref: str = "main") -> Path:
    org, name = repo_id.split("/")
    repo = hf_hub_cache() / f"models--{org}--{name}"
    snapshot = repo / "snapshots" / SHA
    shutil.copytree(model, snapshot)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / ref).write_text(SHA, encoding="utf-8")
    return snapshot


@pytest.mark.parametrize(
    "recorded, expected",
    [
        ("Qwen/Qwen2.5-0.5B-Instruct", ["Qwen/Qwen2.5-0.5B-Instruct"]),
        (
            "/root/autodl-tmp/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
            ["deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"],
        ),
        ("C:\\Users\\DK\\.cache\\modelscope\\hub\\Qwen\\Qwen2___5-0___5B", ["Qwen/Qwen2.5-0.5B"]),
        (
            "/root/.cache/huggingface/hub/models--Qwen--Qwen2.5-7B/snapshots/abc",
            ["Qwen/Qwen2.5-7B"],
        ),
        ("./base", []),
    ],
)
def test_repo_ids_from_recorded_names(recorded, expected):
    assert repo_id_candidates(recorded) == expected


def test_recorded_folder_absolute_and_relative(
    clean_caches, tiny_models, tiny_lora_adapters, tmp_path
):
    base = tiny_models("qwen2")
    absolute = read_adapter(tiny_lora_adapters("qwen2"))  # records the fixture folder
    assert (
        resolve_base(absolute, explicit_base=None, allow_download=False, ctx=null_context()) == base
    )
    shutil.copytree(base, tmp_path / "work" / "底座")
    relative = adapter_recording(tiny_lora_adapters("qwen2"), tmp_path / "work" / "lora", "../底座")
    found = resolve_base(
        read_adapter(relative), explicit_base=None, allow_download=False, ctx=null_context()
    )
    assert found == relative / "../底座"


def test_hf_cache_under_hf_home_and_hf_hub_cache(
    clean_caches, tiny_models, tiny_lora_adapters, tmp_path, monkeypatch
):
    adapter = read_adapter(
        adapter_recording(
            tiny_lora_adapters("qwen2"), tmp_path / "a", "/root/autodl-tmp/org/tiny-qwen"
        )
    )
    with pytest.raises(BaseModelNotFoundError):
        resolve_base(adapter, explicit_base=None, allow_download=False, ctx=null_context())
    snapshot = put_in_hf_cache(tiny_models("qwen2"), "org/tiny-qwen")
    assert str(snapshot).startswith(str(tmp_path / "hf home 缓存" / "hub"))
    assert (
        resolve_base(adapter, explicit_base=None, allow_download=False, ctx=null_context())
        == snapshot
    )
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))  # wins over HF_HOME
    assert resolve_base_locally("org/tiny-qwen") is None


def test_incomplete_snapshot_is_not_used(clean_caches, tiny_models, tmp_path):
    snapshot = put_in_hf_cache(tiny_models("qwen2", shards=2), "org/half")
    next(snapshot.glob("model-00002-*.safetensors")).unlink()
    assert resolve_base_locally("org/half") is None


def test_modelscope_cache(clean_caches, tiny_models, tmp_path):
    folder = tmp_path / "modelscope" / "models" / "Qwen" / "Qwen2___5-0___5B"
    shutil.copytree(tiny_models("qwen2"), folder)
    assert resolve_base_locally("Qwen/Qwen2.5-0.5B") == folder


def test_explicit_base_rules(clean_caches, tiny_models, tiny_lora_adapters, tmp_path):
    adapter = read_adapter(tiny_lora_adapters("qwen2"))
    with pytest.raises(AdapterError, match="adapter folder"):
        resolve_base(
            adapter,
            explicit_base=tiny_lora_adapters("qwen2"),
            allow_download=False,
            ctx=null_context(),
        )
    with pytest.raises(BaseModelNotFoundError, match="not found"):
        resolve_base(
            adapter, explicit_base=tmp_path / "nope", allow_download=False, ctx=null_context()
        )
    snapshot = put_in_hf_cache(tiny_models("qwen2"), "org/by-id")
    got = resolve_base(adapter, explicit_base="org/by-id", allow_download=False, ctx=null_context())
    assert got == snapshot
    repo_dir = snapshot.parent.parent  # models--org--by-id: the cache folder itself works too
    assert (
        resolve_base(adapter, explicit_base=repo_dir, allow_download=False, ctx=null_context())
        == snapshot
    )


def test_no_record_no_base(clean_caches, tiny_lora_adapters, tmp_path):
    adapter = read_adapter(adapter_recording(tiny_lora_adapters("qwen2"), tmp_path / "a", None))
    with pytest.raises(BaseModelNotFoundError, match="does not record") as err:
        resolve_base(adapter, explicit_base=None, allow_download=False, ctx=null_context())
    assert "--base" in err.value.hint


# -- downloading through a mirror ----------------------------------------------------
class FakeHub:
    """Serves one model folder as ``org/tiny-model`` with the Hub's HTTP endpoints."""

    def __init__(self, model: Path) -> None:
        self.files = {p.name: p.read_bytes() for p in model.iterdir() if p.is_file()}
        self.requests: list[str] = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.answer()

            def do_GET(self):
                self.answer()

            def answer(self):
                path = self.path.split("?")[0]
                hub.requests.append(f"{self.command} {path}")
                repo = "/api/models/org/tiny-model"
                if path.startswith(f"{repo}/revision/"):
                    siblings = [{"rfilename": name} for name in hub.files]
                    return self.send(
                        json.dumps(
                            {"id": "org/tiny-model", "sha": SHA, "siblings": siblings}
                        ).encode()
                    )
                if path.startswith(f"{repo}/tree/"):
                    tree = [{"type": "file", "path": n, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                            for n, d in hub.files.items()]  # fmt: skip
                    return self.send(json.dumps(tree).encode())
                prefix = "/org/tiny-model/resolve/"
                if path.startswith(prefix):
                    data = hub.files.get(path[len(prefix) :].partition("/")[2])
                    if data is not None:
                        return self.send(data, etag=hashlib.sha256(data).hexdigest())
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def send(self, body: bytes, etag: str | None = None):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Repo-Commit", SHA)
                if etag:
                    self.send_header("ETag", f'"{etag}"')
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror(clean_caches, tiny_models, monkeypatch):
    hub = FakeHub(tiny_models("qwen2"))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    yield hub
    hub.close()


def test_download_through_hf_endpoint(mirror, tiny_lora_adapters, tmp_path):
    adapter = read_adapter(
        adapter_recording(tiny_lora_adapters("qwen2"), tmp_path / "a", "org/tiny-model")
    )
    with pytest.raises(BaseModelNotFoundError) as err:
        resolve_base(adapter, explicit_base=None, allow_download=False, ctx=null_context())
    assert "--download" in err.value.hint and mirror.url in err.value.hint
    assert mirror.requests == []  # nothing is fetched without permission
    events = []
    path = resolve_base(
        adapter, explicit_base=None, allow_download=True, ctx=JobContext(events.append)
    )
    assert path == hf_hub_cache() / "models--org--tiny-model" / "snapshots" / SHA
    assert (path / "model.safetensors").read_bytes() == mirror.files["model.safetensors"]
    assert any(r.startswith("GET /org/tiny-model/resolve/") for r in mirror.requests)
    downloads = [e for e in events if isinstance(e, Progress) and e.stage == "download"]
    assert downloads and downloads[-1].done == downloads[-1].total >= len(
        mirror.files["model.safetensors"]
    )
    mirror.requests.clear()  # second time: from the cache, no network
    assert (
        resolve_base(adapter, explicit_base=None, allow_download=False, ctx=null_context()) == path
    )
    assert mirror.requests == []


def test_download_can_be_cancelled(mirror, tiny_lora_adapters, tmp_path):
    adapter = read_adapter(
        adapter_recording(tiny_lora_adapters("qwen2"), tmp_path / "a", "org/tiny-model")
    )
    ctx = JobContext()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        resolve_base(adapter, explicit_base=None, allow_download=True, ctx=ctx)


@pytest.mark.slow
def test_cli_merge_downloads_the_base(mirror, tiny_lora_adapters, tmp_path):
    adapter = adapter_recording(tiny_lora_adapters("qwen2"), tmp_path / "lora", "org/tiny-model")
    out = tmp_path / "merged"
    assert main(["merge", str(adapter), "-o", str(out), "-q"]) == 1  # no permission, no download
    assert not out.exists()
    assert main(["merge", str(adapter), "-o", str(out), "-q", "--download"]) == 0
    assert (out / "model.safetensors").is_file()
