"""The lock pins what the project allows: every pin satisfies pyproject's ``train`` extra."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

from engine.runtime.lock import load_lock, version_key

ROOT = Path(__file__).resolve().parents[3]


def _train_extra() -> dict[str, Requirement]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = [Requirement(r) for r in data["project"]["optional-dependencies"]["train"]]
    return {r.name.lower().replace("_", "-"): r for r in reqs}


def test_every_pin_is_allowed_by_the_train_extra_and_covers_it():
    lock = load_lock()
    allowed = _train_extra()
    pinned: dict[str, str] = {}
    for build in lock.builds:
        pinned["torch"] = build.torch
        assert allowed["torch"].specifier.contains(build.torch), build
        for text in lock.requirements(build):
            req = Requirement(text)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{text}: the lock pins exact versions"
            name = req.name.lower().replace("_", "-")
            pinned[name] = spec.version
            if name in allowed:
                assert allowed[name].specifier.contains(spec.version), text
    assert set(allowed) <= set(pinned), (
        f"train extra packages the lock misses: {set(allowed) - set(pinned)}"
    )


def test_cuda_builds_newest_first_and_bitsandbytes_only_with_cuda():
    lock = load_lock()
    cudas = [b.cuda for b in lock.cuda_builds()]
    assert cudas == sorted(cudas, key=lambda c: version_key(c or ""), reverse=True)
    assert not any("bitsandbytes" in r for r in lock.requirements(lock.build("cpu")))
    assert any("bitsandbytes" in r for r in lock.requirements(lock.cuda_builds()[0]))
    assert lock.torch_index_url(lock.build("cu128")).endswith("/whl/cu128")
