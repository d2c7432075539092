"""Labels token by token on every fixture family's real chat template.

Each family's answers must be learned with exactly the template's end-of-turn marker, and
nothing of the prompt; the rendered text must be what transformers' apply_chat_template
prints for the same messages.
"""

from __future__ import annotations

import pytest

from engine.train.conversation import Conversation, Message
from engine.train.template import read_base_template
from engine.train.tokenize import IGNORE, Renderer, hf_encoder, load_tokenizer, tokenize

pytest.importorskip("transformers")

CONV = Conversation(
    messages=(
        Message(role="user", content="Hi there"),
        Message(role="assistant", content="Hello friend"),
        Message(role="user", content="Bye?"),
        Message(role="assistant", content="Bye now", thinking="just say bye"),
    ),
    file="data.jsonl",
    line=7,
)
THINK = "<think>\njust say bye\n</think>\n\nBye now"
# What is learned, per family: each answer and its end-of-turn marker (decoded text).
EXPECTED = {
    "llama3": ["Hello friend<|eot_id|>", f"{THINK}<|eot_id|>"],
    "mistral": ["Hello friend</s>", f"{THINK}</s>"],
    "qwen2": ["Hello friend<|im_end|>\n", f"{THINK}<|im_end|>\n"],
    # the template strips reasoning from answers and its generation prompt opens <think>:
    # the answer learned is what the model writes after "<｜Assistant｜><think>\n"
    "deepseek_r1_qwen": ["Hello friend<｜end▁of▁sentence｜>", "just say bye\n</think>\n\nBye now<｜end▁of▁sentence｜>"],
    "qwen3": ["Hello friend<|im_end|>\n", f"{THINK}<|im_end|>\n"],
    "gemma2": ["Hello friend<end_of_turn>\n", f"{THINK}<end_of_turn>\n"],
    "gemma3": ["Hello friend<end_of_turn>\n", f"{THINK}<end_of_turn>\n"],
    "phi3": ["Hello friend<|end|><|endoftext|>", f"{THINK}<|end|><|endoftext|>"],
}  # fmt: skip


def _runs(ids, labels):
    runs, cur = [], []
    for tok, lab in zip(ids, labels, strict=True):
        if lab != IGNORE:
            assert lab == tok
            cur.append(tok)
        elif cur:
            runs.append(cur)
            cur = []
    return [*runs, cur] if cur else runs


def _setup(model_dir):
    tok = load_tokenizer(model_dir)
    return Renderer(read_base_template(model_dir)), hf_encoder(tok), tok


def test_label_masks_on_every_family(tiny_family, tiny_model):
    renderer, encode, tok = _setup(tiny_model)
    rendered = renderer.examples(CONV)
    learned, masked_text = [], ""
    for item in rendered:
        ex = tokenize(item, encode, cutoff=4096)
        assert not ex.truncated and len(ex.input_ids) == len(ex.labels)
        learned += [tok.decode(run) for run in _runs(ex.input_ids, ex.labels)]
        masked_text += tok.decode(
            [t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab == IGNORE]
        )
        # the token ids are the tokenizer's for the whole rendered text
        assert list(ex.input_ids) == tok(item.text, add_special_tokens=False)["input_ids"]
    assert learned == EXPECTED[tiny_family]
    assert "Hi there" in masked_text and "Bye?" in masked_text
    assert "Bye now" not in masked_text
    # the last example is the template's own rendering of the whole conversation
    if tiny_family != "deepseek_r1_qwen":
        messages = renderer._messages(CONV.messages)
        want = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        assert rendered[-1].text == want


@pytest.mark.parametrize("tiny_family", ["qwen2", "llama3"], indirect=True)
def test_last_turn_only_and_train_on_prompt(tiny_family, tiny_model):
    renderer, encode, tok = _setup(tiny_model)
    (item,) = renderer.examples(CONV, last_turn_only=True)
    ex = tokenize(item, encode, cutoff=4096)
    assert [tok.decode(r) for r in _runs(ex.input_ids, ex.labels)] == EXPECTED[tiny_family][1:]
    (item,) = renderer.examples(CONV, train_on_prompt=True)
    ex = tokenize(item, encode, cutoff=4096)
    assert list(ex.labels) == list(ex.input_ids)


@pytest.mark.parametrize("tiny_family", ["qwen2"], indirect=True)
def test_cutoff_keeps_whole_turns(tiny_family, tiny_model):
    renderer, encode, tok = _setup(tiny_model)
    (item,) = renderer.examples(CONV)
    full = tokenize(item, encode, cutoff=4096)
    first_turn_end = item.text.index("Hello friend<|im_end|>\n") + len("Hello friend<|im_end|>\n")
    n_first = len(tok(item.text[:first_turn_end], add_special_tokens=False)["input_ids"])
    cut = tokenize(item, encode, cutoff=len(full.input_ids) - 1)
    assert cut.truncated and len(cut.input_ids) == n_first  # the second turn is dropped whole
    assert [tok.decode(r) for r in _runs(cut.input_ids, cut.labels)] == EXPECTED["qwen2"][:1]
    tiny = tokenize(item, encode, cutoff=n_first - 3)  # not even one turn fits: cut inside it
    assert tiny.truncated and len(tiny.input_ids) == n_first - 3


@pytest.mark.parametrize("tiny_family", ["gemma2"], indirect=True)
def test_template_refusal_is_a_row_error(tiny_family, tiny_model, tmp_path):
    from engine.train.check import prepare

    renderer, encode, _ = _setup(tiny_model)
    conv = Conversation(
        messages=(Message(role="system", content="s"), *CONV.messages), file="f.jsonl", line=3
    )
    examples, issues, _ = prepare([conv], renderer, encode, cutoff=512)
    assert examples == []  # Gemma 2's template raises "System role not supported"
    assert (issues[0].file, issues[0].line) == ("f.jsonl", 3)
    assert "template refuses it: System role not supported" in issues[0].message
