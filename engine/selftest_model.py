"""A tiny Qwen2 model made at run time for ``tuneforge --selftest`` (no binary in the repo).

The folder holds what a downloaded Qwen2 checkpoint holds: ``config.json``,
``generation_config.json``, ``model.safetensors`` (BF16), ``tokenizer.json`` (byte-level
BPE with the Qwen2 pre-tokenizer, built here by hand: 256 byte tokens, a few merges, the
ChatML special tokens) and ``tokenizer_config.json`` with a ChatML chat template.

The weights are seeded random numbers, except that the output head is wired so that
greedy decoding continues a chat prompt (which ends in a newline) with exactly
:data:`REPLY` and then ``<|im_end|>``: each token's hidden state points at the next
reply token's output row, with a margin that survives Q4_K_M. So a converted,
quantized GGUF that llama.cpp loads, tokenizes and runs correctly answers
``"Hi from Tuneforge!"``; a broken vocabulary, tensor layout or quantizer does not.
Hidden size 256 (K-quants apply), 2 layers, 4 heads (2 KV heads), vocab padded to 320.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.formats.safetensors import f32_to_bf16
from engine.formats.safetensors_write import SafetensorsWriter, TensorEntry

REPLY = "Hi from Tuneforge!"
REPLY_PIECES = ("Hi", " from", " Tune", "forge", "!")
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
EOS_TOKEN = "<|im_end|>"
QWEN2_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# Qwen2-Instruct's own ChatML template (default system prompt, no tools).
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
HIDDEN = 256
INTERMEDIATE = 512
LAYERS = 2
HEADS = 4
KV_HEADS = 2
VOCAB_PADDED = 320  # like real Qwen2 checkpoints: the embedding has unused rows
SEED = 20240611
WEIGHT_STD = 0.02
HEAD_GAIN = 0.1  # logit of the wired next token ≈ HEAD_GAIN * HIDDEN; others ≈ ±HEAD_GAIN * 16


@dataclass(frozen=True, kw_only=True)
class SelftestModel:
    model_dir: Path
    reply: str
    reply_token_ids: tuple[int, ...]  # REPLY as the tokenizer splits it
    eos_token_id: int
    n_tokens: int  # tokenizer size (the embedding has VOCAB_PADDED rows)


@dataclass(frozen=True, kw_only=True)
class GeneratedReply:
    text: str
    reply_token_ids: tuple[int, ...]  # llama.cpp's tokenization of REPLY
    prompt_tokens: int
    completion_tokens: int
    done_reason: str
    load_seconds: float
    generate_seconds: float


# -- tokenizer -------------------------------------------------------------------------
def byte_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: printable bytes stand for themselves, the others are
    shifted to code points from 256 up (so a space is ``Ġ`` and a newline ``Ċ``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return table


def _merges_for(pieces: tuple[str, ...], alphabet: dict[int, str]) -> list[tuple[str, str]]:
    """Left-to-right merge chains that make each piece one token (``for`` + ``g`` …)."""
    merges: list[tuple[str, str]] = []
    for piece in pieces:
        symbols = [alphabet[b] for b in piece.encode("utf-8")]
        left = symbols[0]
        for right in symbols[1:]:
            if (left, right) not in merges:
                merges.append((left, right))
            left += right
    return merges


def tokenizer_json() -> dict:
    alphabet = byte_to_unicode()
    vocab: dict[str, int] = {alphabet[b]: b for b in range(256)}
    merges = _merges_for(REPLY_PIECES, alphabet)
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    first_special = len(vocab)
    added = [
        {
            "id": first_special + i,
            "content": text,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for i, text in enumerate(SPECIAL_TOKENS)
    ]
    byte_level = {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": False,
        "use_regex": False,
    }
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": QWEN2_REGEX},
                    "behavior": "Isolated",
                    "invert": False,
                },
                byte_level,
            ],
        },
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [[left, right] for left, right in merges],
        },
    }


def _token_ids(tokenizer: dict) -> dict[str, int]:
    ids = dict(tokenizer["model"]["vocab"])
    ids.update({a["content"]: a["id"] for a in tokenizer["added_tokens"]})
    return ids


# -- weights ---------------------------------------------------------------------------
def _weights(token_ids: dict[str, int], alphabet: dict[int, str]) -> dict[str, np.ndarray]:
    """Float32 weights by Hugging Face name; the output head is wired (see the docstring)."""
    rng = np.random.default_rng(SEED)
    head_dim = HIDDEN // HEADS
    kv = KV_HEADS * head_dim

    def normal(*shape: int, std: float = WEIGHT_STD) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def norm_weight() -> np.ndarray:
        return (rng.random(HIDDEN) * 0.2 + 0.9).astype(np.float32)

    out: dict[str, np.ndarray] = {}
    embed = rng.standard_normal((VOCAB_PADDED, HIDDEN)).astype(np.float32)
    out["model.embed_tokens.weight"] = embed
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = norm_weight()
        out[p + "self_attn.q_proj.weight"] = normal(HIDDEN, HIDDEN)
        out[p + "self_attn.q_proj.bias"] = normal(HIDDEN)
        out[p + "self_attn.k_proj.weight"] = normal(kv, HIDDEN)
        out[p + "self_attn.k_proj.bias"] = normal(kv)
        out[p + "self_attn.v_proj.weight"] = normal(kv, HIDDEN)
        out[p + "self_attn.v_proj.bias"] = normal(kv)
        out[p + "self_attn.o_proj.weight"] = normal(HIDDEN, HIDDEN)
        out[p + "post_attention_layernorm.weight"] = norm_weight()
        out[p + "mlp.gate_proj.weight"] = normal(INTERMEDIATE, HIDDEN)
        out[p + "mlp.up_proj.weight"] = normal(INTERMEDIATE, HIDDEN)
        out[p + "mlp.down_proj.weight"] = normal(HIDDEN, INTERMEDIATE)
    out["model.norm.weight"] = np.ones(HIDDEN, dtype=np.float32)
    head = normal(VOCAB_PADDED, HIDDEN)
    # "\n" (the end of the generation prompt) → Hi → " from" → " Tune" → "forge" → "!" → <|im_end|>
    chain = [alphabet[ord("\n")]]
    chain += ["".join(alphabet[b] for b in piece.encode("utf-8")) for piece in REPLY_PIECES]
    chain.append(EOS_TOKEN)
    for current, following in itertools.pairwise(chain):
        row = embed[token_ids[current]]
        head[token_ids[following]] = HEAD_GAIN * row / np.sqrt(np.mean(row * row))
    out["lm_head.weight"] = head
    return out


# -- the folder ------------------------------------------------------------------------
def _write_json(path: Path, data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def write_selftest_model(out_dir: Path) -> SelftestModel:
    """Write the tiny model into ``out_dir`` (created; files in it are replaced)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    alphabet = byte_to_unicode()
    tokenizer = tokenizer_json()
    ids = _token_ids(tokenizer)
    weights = _weights(ids, alphabet)
    entries = [TensorEntry(name, "BF16", tuple(array.shape)) for name, array in weights.items()]
    with SafetensorsWriter(
        out_dir / "model.safetensors", entries, metadata={"format": "pt"}
    ) as writer:
        for name, array in weights.items():
            writer.write(name, f32_to_bf16(array))
    _write_json(out_dir / "tokenizer.json", tokenizer)
    _write_json(
        out_dir / "tokenizer_config.json",
        {
            "add_prefix_space": False,
            "bos_token": None,
            "eos_token": EOS_TOKEN,
            "pad_token": "<|endoftext|>",
            "unk_token": None,
            "chat_template": CHAT_TEMPLATE,
            "clean_up_tokenization_spaces": False,
            "errors": "replace",
            "model_max_length": 32768,
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
        },
    )
    _write_json(
        out_dir / "config.json",
        {
            "architectures": ["Qwen2ForCausalLM"],
            "model_type": "qwen2",
            "hidden_size": HIDDEN,
            "intermediate_size": INTERMEDIATE,
            "num_hidden_layers": LAYERS,
            "num_attention_heads": HEADS,
            "num_key_value_heads": KV_HEADS,
            "hidden_act": "silu",
            "max_position_embeddings": 2048,
            "max_window_layers": LAYERS,
            "rms_norm_eps": 1e-06,
            "rope_theta": 1000000.0,
            "sliding_window": 2048,
            "use_sliding_window": False,
            "tie_word_embeddings": False,
            "vocab_size": VOCAB_PADDED,
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids[EOS_TOKEN],
            "torch_dtype": "bfloat16",
            "use_cache": True,
        },
    )
    _write_json(
        out_dir / "generation_config.json",
        {
            "do_sample": True,
            "eos_token_id": [ids[EOS_TOKEN], ids["<|endoftext|>"]],
            "pad_token_id": ids["<|endoftext|>"],
            "temperature": 0.7,
            "top_p": 0.8,
            "top_k": 20,
            "repetition_penalty": 1.05,
        },
    )
    reply_ids = tuple(
        ids["".join(alphabet[b] for b in piece.encode("utf-8"))] for piece in REPLY_PIECES
    )
    return SelftestModel(
        model_dir=out_dir,
        reply=REPLY,
        reply_token_ids=reply_ids,
        eos_token_id=ids[EOS_TOKEN],
        n_tokens=len(ids),
    )


# -- llama.cpp -------------------------------------------------------------------------
def runtime_versions() -> dict[str, str]:
    """Versions of the engine's runtime pieces (and what llama.cpp's CPU backend can use)."""
    import importlib

    versions: dict[str, str] = {}
    for module in ("numpy", "gguf", "jinja2", "requests", "platformdirs", "llama_cpp"):
        try:
            imported = importlib.import_module(module)
        except ImportError as exc:
            versions[module] = f"missing ({exc})"
            continue
        versions[module] = str(getattr(imported, "__version__", None) or _dist_version(module))
    try:
        import llama_cpp

        versions["llama_cpp_system"] = (
            llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
        )
    except (ImportError, AttributeError, OSError):
        pass
    return versions


def _dist_version(module: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return "unknown"


def generate_reply(gguf_path: Path, *, max_tokens: int = 16) -> GeneratedReply:
    """Load ``gguf_path`` with llama.cpp (the chat child process), tokenize :data:`REPLY`
    and answer one user turn greedily."""
    from engine.chat import join_answer, open_backend
    from engine.chat.child_backend import ChildLlamaBackend

    started = time.perf_counter()
    backend = open_backend(gguf=gguf_path, n_ctx=256)
    loaded = time.perf_counter()
    try:
        assert isinstance(backend, ChildLlamaBackend)
        reply_ids = tuple(backend.tokenize(REPLY))
        chunks = list(
            backend.stream(
                [{"role": "user", "content": "Who are you?"}],
                options={"temperature": 0, "num_predict": max_tokens, "seed": 1},
            )
        )
    finally:
        backend.close()
    message, stats = join_answer(chunks)
    return GeneratedReply(
        text=message.content,
        reply_token_ids=reply_ids,
        prompt_tokens=(stats.prompt_tokens or 0) if stats else 0,
        completion_tokens=(stats.completion_tokens or 0) if stats else 0,
        done_reason=stats.done_reason if stats else "",
        load_seconds=round(loaded - started, 3),
        generate_seconds=round(time.perf_counter() - loaded, 3),
    )
