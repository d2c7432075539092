"""Prove the prompt Ollama really builds: its token count for a few probe conversations.

For each probe Ollama is asked for one token (``num_predict`` 1) and reports
``prompt_eval_count``: every token of the prompt it rendered (Ollama ≥ 0.30:
``cache_n + prompt_n``, ``llm/llama_server.go`` promptEvalCount; before:
``numPromptInputs``, set from the whole tokenized prompt in
``runner/ollamarunner/runner.go`` NewSequence at v0.12.6). The same conversation
is rendered with the model's own chat template (the Jinja the GGUF embeds) and tokenized
by llama.cpp on the GGUF we wrote, in the chat child process (vocabulary only); BOS as
the model wants it. Equal counts on every probe: the prompt Ollama builds is the one the
model was trained on, whichever template Ollama runs. A difference is a template problem.

"Allowing for BOS": a chat template that writes the BOS text itself, on a model whose
tokenizer adds BOS, may give one token more on a server that does not merge the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled, TuneforgeError
from engine.jobs.vocabulary import Stage
from engine.messages import ChatMessage

PROBES: tuple[tuple[str, tuple[ChatMessage, ...]], ...] = (
    ("one question", (ChatMessage(role="user", content="Hello! What is 2 + 2?"),)),
    (
        "system prompt",
        (
            ChatMessage(role="system", content="You are a helpful assistant. 请用中文回答。"),
            ChatMessage(role="user", content="Name a colour."),
        ),
    ),
    (
        "two turns",
        (
            ChatMessage(role="user", content="Hi"),
            ChatMessage(role="assistant", content="Hello! How can I help?"),
            ChatMessage(role="user", content="Tell me a joke."),
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    name: str
    expected: int  # llama.cpp's tokens of the model's own template
    reported: int | None  # Ollama's prompt_eval_count
    ok: bool


@dataclass(frozen=True, kw_only=True)
class PromptCheck:
    """``status``: "identical", "mismatch" or "not_run" (``problem`` says why)."""

    status: str
    probes: tuple[ProbeResult, ...] = ()
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "problem": self.problem,
            "probes": [
                {"name": p.name, "expected": p.expected, "reported": p.reported, "ok": p.ok}
                for p in self.probes
            ],
        }


def _with_system(messages: Sequence[ChatMessage], system: str | None) -> list[ChatMessage]:
    """Ollama puts the Modelfile's SYSTEM first when the conversation has none."""
    if system and not any(m.role == "system" for m in messages):
        return [ChatMessage(role="system", content=system), *messages]
    return list(messages)


def check_prompt_tokens(
    *, model: str, host: str | None, gguf_path: Path, system: str | None, ctx: Any
) -> PromptCheck:
    """Never raises (but a cancel): what could not run is a ``not_run`` with the reason."""
    from engine.chat.child_backend import ChildLlamaBackend
    from engine.ollama import OllamaClient

    try:
        local = ChildLlamaBackend(gguf_path, n_ctx=2048, vocab_only=True)
    except TuneforgeError as exc:
        return PromptCheck(status="not_run", problem=f"llama.cpp could not read the GGUF: {exc}")
    results: list[ProbeResult] = []
    try:
        bos = local.prompt_tokens("")[:1]  # [BOS] when the model adds one, else []
        with OllamaClient(host) as client:
            for name, messages in PROBES:
                ctx.check_cancelled()
                prompt = local.render(_with_system(messages, system), think=False)
                expected = len(local.prompt_tokens(prompt))
                reported = None
                for chunk in client.chat(
                    model,
                    [m.to_ollama() for m in messages],
                    options={"num_predict": 1, "temperature": 0},
                    think=False,
                    cancel_event=ctx.cancel_event,
                ):
                    if chunk.done and chunk.stats is not None:
                        reported = chunk.stats.prompt_tokens
                # the template wrote the BOS itself: a server may add a second one
                wrote_bos = bool(bos) and local.tokenize(prompt)[:1] == bos
                ok = reported == expected or (wrote_bos and reported == expected + 1)
                results.append(ProbeResult(name=name, expected=expected, reported=reported, ok=ok))
    except JobCancelled:
        raise
    except TuneforgeError as exc:
        return PromptCheck(
            status="not_run",
            probes=tuple(results),
            problem=f"Ollama could not answer the prompt probes: {exc.message}",
        )
    finally:
        local.close()
    bad = [p for p in results if not p.ok]
    if not bad:
        return PromptCheck(status="identical", probes=tuple(results))
    first = bad[0]
    problem = (
        f"template problem: for the probe {first.name!r} Ollama's prompt has "
        f"{first.reported} tokens, the model's own chat template gives {first.expected}; "
        "the model will see conversations formatted differently from its training"
    )
    return PromptCheck(status="mismatch", probes=tuple(results), problem=problem)


def probe_prompt(
    *, model: str, host: str | None, gguf_path: Path, system: str | None, ctx: Any
) -> PromptCheck:
    """The package run's step: :func:`check_prompt_tokens` with its progress and log lines."""
    ctx.progress(Stage.SMOKE, 0, 0)
    check = check_prompt_tokens(model=model, host=host, gguf_path=gguf_path, system=system, ctx=ctx)
    if check.status == "identical":
        ctx.log(
            f"prompt tokens: Ollama's prompt matches the model's own template "
            f"({len(check.probes)} probes)"
        )
    elif check.problem:
        ctx.warn(f"prompt tokens: {check.problem}")
    return check
