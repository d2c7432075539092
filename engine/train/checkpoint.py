"""Checkpoints (adapter weights, optimizer, scaler, RNG, step) and the final ``adapter/``.

Checkpoints hold only tensors and JSON: loading uses ``torch.load(weights_only=True)``,
which refuses arbitrary pickled objects.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.jobs.atomic import atomic_dir
from engine.train.rundir import CHECKPOINTS, checkpoint_dirs

ADAPTER_WEIGHTS = "adapter_model.safetensors"
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
    "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja", "chat_template.json",
)  # fmt: skip
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, kw_only=True)
class Resumed:
    step: int
    path: Path


def save_checkpoint(run_dir: Path, *, model: Any, optimizer: Any, scaler: Any, step: int,
                    state: dict[str, Any], keep: int) -> Path:  # fmt: skip
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    final = run_dir / CHECKPOINTS / f"step-{step}"
    with atomic_dir(final) as tmp:
        weights = {
            k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(model).items()
        }
        save_file(weights, str(tmp / ADAPTER_WEIGHTS))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        rng: dict[str, Any] = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        if scaler is not None:
            rng["scaler"] = scaler.state_dict()
        torch.save(rng, tmp / "rng.pt")
        (tmp / "state.json").write_text(
            json.dumps({**state, "step": step}, indent=2), encoding="utf-8"
        )
    for old in checkpoint_dirs(run_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, *, model: Any, optimizer: Any, scaler: Any) -> dict[str, Any]:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(str(path / ADAPTER_WEIGHTS)))
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=True))
    rng = torch.load(path / "rng.pt", weights_only=True)
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    if scaler is not None and "scaler" in rng:
        scaler.load_state_dict(rng["scaler"])
    state: dict[str, Any] = json.loads((path / "state.json").read_text(encoding="utf-8"))
    return state


def base_revision(base: Path) -> str | None:
    """The commit of a Hugging Face cache snapshot folder (``…/snapshots/<sha>``)."""
    name = Path(base).resolve().name
    return name if _COMMIT.match(name) else None


def export_adapter(run_dir: Path, *, model: Any, base: Path) -> Path:
    """``adapter/``: PEFT adapter + the base's tokenizer and chat template + base reference,
    ready for ``tuneforge package RUN_DIR/adapter``."""
    final = run_dir / "adapter"
    with atomic_dir(final) as tmp:
        model.save_pretrained(str(tmp), safe_serialization=True)
        config_path = tmp / "adapter_config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["base_model_name_or_path"] = str(Path(base).resolve())
        revision = base_revision(base)
        if revision:
            config["revision"] = revision
        config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
        for name in TOKENIZER_FILES:
            if (Path(base) / name).is_file():
                shutil.copyfile(Path(base) / name, tmp / name)
    return final
