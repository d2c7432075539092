"""The prompt the double's "server" builds, and its honest ``prompt_eval_count``.

Real Ollama renders the chat with the selected template, then tokenizes that text with
the model's own vocabulary: special tokens parsed, BOS added when the GGUF asks for it.

- Go template: rendered with Go's real ``text/template`` and Ollama's data
  (``template/template.go`` Execute, via ``engine.template.gorender``), then tokenized by
  the runner (``runner/llamarunner`` at v0.12: ``Tokenize(prompt, addSpecial, parseSpecial)``)
  or, from 0.30 on, llama-server's ``/completion``.
- GGUF Jinja (Ollama ≥ 0.30 "native" mode): llama-server renders
  ``tokenizer.chat_template`` itself with the request's ``messages``, ``tools`` and
  ``chat_template_kwargs: {"enable_thinking": think}`` (``llm/llama_server.go``
  llamaServerChatRequest, llamaServerChatTemplateKwargs), ``add_generation_prompt`` true.
  Guess: rendered here with plain jinja2 (llama.cpp uses its own Jinja engine). Like
  llama.cpp (``common/chat.cpp``, after rendering: "if add_bos and the result starts
  with the BOS text, cut it"), a BOS the template writes is dropped when the tokenizer
  adds one, so there is one BOS, not two.

``prompt_eval_count`` is then ``cache_n + prompt_n`` = every prompt token
(``llm/llama_server.go`` llamaServerTimings.promptEvalCount). Tokens are counted by
llama.cpp itself (llama-cpp-python, vocabulary only), as the real server does.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any


def render_jinja(
    chat_template: str,
    messages: list[dict[str, Any]],
    *,
    tools: list[Any] | None,
    think: Any,
    bos_token: str,
    eos_token: str,
) -> str:
    import jinja2
    import jinja2.sandbox

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    kwargs: dict[str, Any] = {}
    if think is not None:
        kwargs["enable_thinking"] = bool(think)
    plain = [{"role": m.get("role", ""), "content": m.get("content", "")} for m in messages]
    return env.from_string(chat_template).render(
        messages=plain,
        tools=tools or None,
        add_generation_prompt=True,
        bos_token=bos_token,
        eos_token=eos_token,
        **kwargs,
    )


def render_go(
    template: str, messages: list[dict[str, Any]], *, tools: list[Any] | None, think: Any
) -> str:
    """Go's text/template with Ollama's values; raises if the Go renderer is missing."""
    from engine.template.gorender import get_renderer

    job: dict[str, Any] = {
        "template": template,
        "messages": [
            {"role": m.get("role", ""), "content": m.get("content", "")} for m in messages
        ],
        "tools": tools or [],
    }
    if think is not None:
        job["think"] = think
    (result,) = get_renderer().render([job])
    if result.error:
        raise ValueError(result.error)
    return result.output


@functools.lru_cache(maxsize=8)
def _vocab(path: str) -> Any:
    import llama_cpp

    return llama_cpp.Llama(path, vocab_only=True, verbose=False)


def count_tokens(gguf_path: Path, text: str) -> int:
    """llama.cpp's tokenization: BOS as the GGUF says, special tokens parsed."""
    return len(_vocab(str(gguf_path)).tokenize(text.encode("utf-8"), add_bos=True, special=True))


def adds_bos(gguf_path: Path) -> bool:
    vocab = _vocab(str(gguf_path))
    return bool(vocab.token_bos() >= 0 and vocab._model.add_bos_token())


def special_token(gguf_path: Path, which: str) -> str:
    """The text of the BOS/EOS token ("" when the GGUF has none)."""
    vocab = _vocab(str(gguf_path))
    token = vocab.token_bos() if which == "bos" else vocab.token_eos()
    if token < 0:
        return ""
    return vocab.detokenize([token], special=True).decode("utf-8", "replace")
