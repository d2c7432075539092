"""A tiny, *deterministic* chat GGUF that llama.cpp (and Ollama) can really run.

Architecture ``llama`` with one block whose attention and MLP weights are all zero, so
the hidden state at the last position is just the embedding of the last token. The
embeddings are one-hot and ``output.weight`` maps token ``t`` to its successor: the
model is a bigram table. Given the chain ``["\\n", "H", "i", "!", "<|im_end|>"]`` it
answers a ChatML prompt (which ends with ``assistant\\n``) with exactly ``Hi!`` and then
its end-of-turn token, whatever the sampling settings. Tokens may only appear once in
a chain. A SentencePiece-style vocabulary: control tokens, ``▁`` and printable ASCII,
and the 256 byte-fallback tokens so any text tokenizes.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# The Go template that matches CHATML_TEMPLATE (what the Modelfile builder would send).
CHATML_GO_TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
    "{{ end }}<|im_start|>assistant\n"
)
SPECIALS = ("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<think>", "</think>")
HELLO_CHAIN = ("\n", "H", "i", "!", "<|im_end|>")
THINKING_CHAIN = ("\n", "<think>", "h", "m", "</think>", "O", "K", "<|im_end|>")


def vocabulary() -> list[str]:
    printable = [chr(c) for c in range(0x21, 0x7F)]
    return [*SPECIALS, "▁", *printable, *(f"<0x{b:02X}>" for b in range(256))]


def _token_id(vocab: list[str], text: str) -> int:
    if text == "\n":
        return vocab.index("<0x0A>")
    if text == " ":
        return vocab.index("▁")
    return vocab.index(text)


def write_tiny_chat_gguf(
    path: Path,
    *,
    chain: Sequence[str] = HELLO_CHAIN,
    chat_template: str | None = CHATML_TEMPLATE,
    name: str = "tiny chat",
) -> str:
    """Write the GGUF; return its ``sha256:`` digest."""
    import gguf
    import numpy as np

    vocab = vocabulary()
    n_vocab = len(vocab)
    n_embd = 368  # ≥ n_vocab (one-hot embeddings), divisible by the 4 heads, even head size
    assert n_embd >= n_vocab
    n_ff = 32
    eot = vocab.index("<|im_end|>")

    successor = dict.fromkeys(range(n_vocab), eot)
    ids = [_token_id(vocab, t) for t in chain]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a token repeats in the chain {chain!r}")
    for a, b in itertools.pairwise(ids):
        successor[a] = b

    embd = np.zeros((n_vocab, n_embd), dtype=np.float32)
    embd[np.arange(n_vocab), np.arange(n_vocab)] = 1.0
    output = np.zeros((n_vocab, n_embd), dtype=np.float32)
    for token, nxt in successor.items():
        output[nxt, token] = 1.0

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(512)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(1)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(4)
    writer.add_head_count_kv(4)
    writer.add_rope_dimension_count(n_embd // 4)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(vocab)
    writer.add_token_scores([0.0] * n_vocab)
    types = []
    for text in vocab:
        if text == "<unk>":
            types.append(gguf.TokenType.UNKNOWN)
        elif text in ("<think>", "</think>"):
            types.append(gguf.TokenType.USER_DEFINED)  # like Qwen3: printed as text
        elif text in SPECIALS:
            types.append(gguf.TokenType.CONTROL)
        elif text.startswith("<0x"):
            types.append(gguf.TokenType.BYTE)
        else:
            types.append(gguf.TokenType.NORMAL)
    writer.add_token_types(types)
    writer.add_bos_token_id(vocab.index("<s>"))
    writer.add_eos_token_id(eot)
    writer.add_eot_token_id(eot)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    ones = np.ones(n_embd, dtype=np.float32)
    writer.add_tensor("token_embd.weight", embd)
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", output)
    writer.add_tensor("blk.0.attn_norm.weight", ones)
    writer.add_tensor("blk.0.ffn_norm.weight", ones)
    for proj in ("attn_q", "attn_k", "attn_v", "attn_output"):
        writer.add_tensor(f"blk.0.{proj}.weight", np.zeros((n_embd, n_embd), dtype=np.float32))
    writer.add_tensor("blk.0.ffn_gate.weight", np.zeros((n_ff, n_embd), dtype=np.float32))
    writer.add_tensor("blk.0.ffn_up.weight", np.zeros((n_ff, n_embd), dtype=np.float32))
    writer.add_tensor("blk.0.ffn_down.weight", np.zeros((n_embd, n_ff), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
