"""Our K-quant encoder (engine/quant/native/kquant.c) writes exactly ggml's blocks.

ggml's ``quantize_row_q*_K_ref`` (through ``encode(..., reference=True)``) is the
reference: random rows with hard cases, several row lengths, both SIMD paths, and every
tensor of every fixture family must give the same bytes. The library must hold no FMA
instruction, and everything keeps working through ggml without it.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T

from engine.quant import encode, kquant, row_bytes
from engine.quant.native import library_name, supported_machine
from engine.quant.native.build import build
from tests.fixtures.models import FAMILIES

NATIVE_TYPES = (T.Q4_K, T.Q5_K, T.Q6_K)

pytestmark = pytest.mark.skipif(not supported_machine(), reason="x86-64 only")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh build of the library (in a folder with spaces and Chinese characters)."""
    try:
        return build(tmp_path_factory.mktemp("本地 编码器") / library_name())
    except Exception as exc:  # no C compiler: nothing of ours to test
        pytest.skip(f"cannot build the K-quant library here: {exc}")


@pytest.fixture(scope="module")
def native(built: Path) -> kquant.NativeKQuant:
    loaded = kquant.load_from(built)
    assert loaded is not None, "the freshly built library failed its check against ggml"
    return loaded


def _levels(path: Path) -> list[int]:
    lib = ctypes.CDLL(str(path))
    lib.tf_kquant_set_level.argtypes = [ctypes.c_int]
    best = lib.tf_kquant_set_level(0)
    return [level for level in (1, 2) if level <= best]


def _set_level(path: Path, level: int) -> None:
    lib = ctypes.CDLL(str(path))
    lib.tf_kquant_set_level.argtypes = [ctypes.c_int]
    used = lib.tf_kquant_set_level(level)
    assert used == level or level == 0


def _hard_rows(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = np.exp(rng.uniform(-30, 8, (64, 1)))
    rows = rng.normal(0, 1, (64, n)) * scale
    rows[0] = 0
    rows[1] = 1.5
    rows[2, : n // 2] = -0.0
    rows[3] = rng.normal(0, 1, n) * 1e-41  # subnormal
    rows[4] = np.abs(rows[4])
    rows[5] = -np.abs(rows[5])
    rows[6] = rng.integers(-2, 3, n)
    rows[7] *= rng.random(n) < 0.03
    rows[8] = np.repeat(rng.normal(0, 1, n // 32), 32)  # constant sub-blocks
    rows[9, ::7] = 1e4
    rows[10] = rng.normal(0, 1, n) * np.exp(rng.uniform(-85, 9, n))
    rows[11, :32] = 0  # one empty sub-block
    return np.ascontiguousarray(rows.astype(np.float32))


def _ours(native: kquant.NativeKQuant, qtype: T, rows: np.ndarray) -> np.ndarray:
    fn = native.encoders[qtype]
    return kquant.encode_blocks(fn, rows, row_bytes(qtype, rows.shape[1]))


@pytest.mark.parametrize("qtype", NATIVE_TYPES, ids=lambda t: t.name)
@pytest.mark.parametrize("n", [256, 768, 4096])
def test_random_and_hard_rows_match_ggml_on_every_simd_path(native, built, qtype, n) -> None:
    rows = _hard_rows(n, n)
    reference = encode(rows, qtype, threads=1, reference=True).reshape(-1)
    levels = _levels(built)
    try:
        for level in levels:
            _set_level(built, level)
            ours = _ours(native, qtype, rows)
            diff = np.nonzero(ours != reference)[0]
            assert diff.size == 0, f"level {level}: {diff.size} bytes differ, first {diff[:8]}"
    finally:
        _set_level(built, 0)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_fixture_tensor_matches_ggml(native, built, tiny_models, family) -> None:
    from safetensors.torch import load_file

    folder = tiny_models(family)
    tensors = {}
    for file in sorted(folder.glob("*.safetensors")):
        tensors.update(load_file(str(file)))
    checked = 0
    for name, tensor in tensors.items():
        if tensor.ndim != 2 or tensor.shape[-1] % 256:
            continue
        values = np.ascontiguousarray(tensor.float().numpy())
        for qtype in NATIVE_TYPES:
            reference = encode(values, qtype, threads=1, reference=True).reshape(-1)
            for level in _levels(built):
                _set_level(built, level)
                assert np.array_equal(_ours(native, qtype, values), reference), (name, qtype)
            _set_level(built, 0)
        checked += 1
    assert checked >= 4


def test_encode_uses_ours_with_threads_and_writes_ggmls_bytes(native, monkeypatch) -> None:
    calls = []
    fn = native.encoders[T.Q4_K]

    def counting(src: int, dst: int, n_blocks: int) -> int:
        calls.append(n_blocks)
        return int(fn(src, dst, n_blocks))

    monkeypatch.setattr(kquant, "native_encoder", lambda q: counting if q == T.Q4_K else None)
    rows = _hard_rows(7, 512)
    out = encode(rows, T.Q4_K, threads=2)
    assert len(calls) > 1 and sum(calls) == rows.size // 256
    assert np.array_equal(out, encode(rows, T.Q4_K, threads=2, reference=True))


def test_a_library_that_differs_from_ggml_is_not_used(native) -> None:
    fn = native.encoders[T.Q5_K]

    def off_by_one_bit(src: int, dst: int, n_blocks: int) -> int:
        fn(src, dst, n_blocks)
        ctypes.cast(dst + 100, ctypes.POINTER(ctypes.c_uint8))[0] ^= 1
        return 0

    assert kquant._matches_ggml(T.Q5_K, fn)
    assert not kquant._matches_ggml(T.Q5_K, off_by_one_bit)


def test_without_the_library_ggml_does_the_work(tmp_path, monkeypatch) -> None:
    assert kquant.load_from(tmp_path / library_name()) is None
    monkeypatch.setenv("TUNEFORGE_KQUANT", "0")
    assert kquant.native_encoder(T.Q4_K) is None
    rows = _hard_rows(3, 256)
    assert np.array_equal(encode(rows, T.Q4_K), encode(rows, T.Q4_K, reference=True))


def test_no_fused_multiply_add_in_the_library(built) -> None:
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump is not installed")
    text = subprocess.run(
        [objdump, "-d", str(built)], capture_output=True, text=True, check=True
    ).stdout
    assert "ymm" in text  # the AVX2 path is there (so the check below looks at it)
    fused = [line for line in text.splitlines() if "vfmadd" in line or "vfnmadd" in line
             or "vfmsub" in line or "vfnmsub" in line]  # fmt: skip
    assert not fused, fused[:5]
