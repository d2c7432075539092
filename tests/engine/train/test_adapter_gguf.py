"""The trained adapter packages as it is (``tuneforge package RUN_DIR/adapter``) into a GGUF
whose greedy answer, run by llama.cpp in a child process, is transformers + PEFT's."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.jobs import run_job
from engine.train.conversation import Message
from engine.train.loop import train_job
from engine.train.template import read_base_template
from engine.train.tokenize import Renderer, load_tokenizer
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")
pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow
NEW_TOKENS = 8

LLAMA_GREEDY = r"""
import json, sys
import numpy as np
from llama_cpp import Llama
path, ids, n = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
llm = Llama(path, n_ctx=256, logits_all=True, n_threads=2, verbose=False)
llm.eval(ids)
out = []
for _ in range(n):
    tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    out.append(tok)
    llm.eval([tok])
print(json.dumps(out))
"""


def _hf_greedy(base, adapter, ids):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    if adapter is not None:
        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    seq = list(ids)
    with torch.no_grad():
        for _ in range(NEW_TOKENS):
            logits = model(torch.tensor([seq])).logits[0, -1]
            seq.append(int(torch.argmax(logits)))
    return seq[len(ids) :]


@pytest.mark.parametrize("family", ["qwen2", "llama3"])
def test_packaged_gguf_answers_like_the_trained_adapter(family, tiny_models, tmp_path):
    from engine.cli.main import main

    base = tiny_models(family)
    data = write_dataset(tmp_path / "d.jsonl", n=16)
    run = tmp_path / "运行 run"
    outcome = run_job(train_job, spec(base, data, run, max_steps=25, lr=2e-2, grad_accum=1))
    assert outcome.ok, outcome.error
    out = tmp_path / "打包 out"
    rc = main(["package", str(run / "adapter"), "--name", "tuned", "--type", "F32", "--out", str(out),
               "--no-register", "--no-smoke"])  # fmt: skip
    assert rc == 0
    gguf = out / "tuned.gguf"
    assert gguf.is_file()

    renderer = Renderer(read_base_template(base))
    prompt = renderer.render([Message(role="user", content="Repeat the word apple twice.")],
                             generation=True, think=False)  # fmt: skip
    ids = load_tokenizer(base)(prompt, add_special_tokens=False)["input_ids"]
    want = _hf_greedy(base, run / "adapter", ids)
    got = json.loads(subprocess.run([sys.executable, "-c", LLAMA_GREEDY, str(gguf), json.dumps(ids), str(NEW_TOKENS)],
                                    capture_output=True, text=True, check=True, timeout=300).stdout.strip().splitlines()[-1])  # fmt: skip
    assert got == want
    assert want != _hf_greedy(base, None, ids)  # the adapter changed the answer
