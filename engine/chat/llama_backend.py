"""Chat with a GGUF in-process through llama-cpp-python (no Ollama needed).

The prompt is rendered with the GGUF's own Jinja chat template (or one given), the
reply stops on the model's end-of-generation tokens (llama.cpp's ``llama_vocab_is_eog``:
EOS, EOT, ``<|im_end|>`` …) and on extra ``stop`` strings, and ``<think>`` blocks are
split off as thinking. ``llama_cpp`` is imported only when a backend is created.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.chat.messages import ChatChunk, ChatMessage, ChatStats, as_messages
from engine.chat.prompt import render_prompt
from engine.chat.thinking import ThinkingSplitter, prompt_opens_thinking
from engine.errors import InputError, ResourceError
from engine.modelfile.parameters import normalize_parameters

# Ollama's defaults (api/types.go DefaultOptions), so both backends sample alike.
DEFAULT_OPTIONS: dict[str, Any] = {
    "temperature": 0.8,
    "top_k": 40,
    "top_p": 0.9,
    "min_p": 0.0,
    "repeat_penalty": 1.1,
    "num_predict": -1,
}


class LlamaChatBackend:
    """One loaded GGUF. ``stream()`` calls are serialized (llama.cpp state is not shared)."""

    def __init__(
        self,
        gguf_path: Path,
        *,
        n_ctx: int = 4096,
        chat_template: str | None = None,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        vocab_only: bool = False,
    ) -> None:
        """``vocab_only``: load the tokenizer only (render and tokenize, no chat)."""
        self.path = Path(gguf_path)
        if not self.path.is_file():
            raise InputError("the GGUF file does not exist", path=self.path)
        from engine.inspect.gguf_file import inspect_gguf

        info, _ = inspect_gguf(self.path)  # a clear error for a file that is not a GGUF
        if info.context_length:
            n_ctx = min(n_ctx, int(info.context_length))  # more than trained on is noise
        try:
            import llama_cpp
        except ImportError as exc:
            raise ResourceError(
                "llama-cpp-python is not installed, so GGUF files cannot be run in-process",
                hint="Install it with `pip install llama-cpp-python`, or chat through Ollama.",
            ) from exc
        self._llama_cpp = llama_cpp
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_threads=n_threads or max(1, (os.cpu_count() or 2) // 2),
                n_gpu_layers=n_gpu_layers,
                vocab_only=vocab_only,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise InputError(
                f"llama.cpp could not load this GGUF: {exc}",
                hint="The file may be damaged or use an architecture this llama.cpp lacks.",
                path=self.path,
            ) from exc
        template = chat_template or self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise InputError(
                "this GGUF has no chat template (tokenizer.chat_template)",
                hint="Give one with --template FILE (a Jinja chat template).",
                path=self.path,
            )
        self.chat_template: str = template
        self.bos_token = self._token_text(self.llm.token_bos())
        self.eos_token = self._token_text(self.llm.token_eos())
        self.label = f"{self.path.name} (in-process llama.cpp)"
        self._lock = threading.Lock()

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def prompt_tokens(self, prompt: str) -> list[int]:
        tokens: list[int] = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        bos = self.llm.token_bos()
        # Exactly one BOS when the model wants one, whether or not the template wrote it.
        if bos >= 0 and self.llm._model.add_bos_token() and tokens[:1] != [bos]:
            tokens.insert(0, bos)
        return tokens

    def render(self, messages: Sequence[ChatMessage], *, think: bool | None = None) -> str:
        return render_prompt(
            self.chat_template,
            messages,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            think=think,
        )

    def stream(
        self,
        messages: Sequence[ChatMessage | Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Iterator[ChatChunk]:
        conversation = as_messages(messages)
        opts = {**DEFAULT_OPTIONS, **normalize_parameters(options)}
        prompt = self.render(conversation, think=think)
        tokens = self.prompt_tokens(prompt)
        if len(tokens) >= self.llm.n_ctx():
            raise InputError(
                f"the conversation is {len(tokens)} tokens, more than the context "
                f"of {self.llm.n_ctx()}",
                hint="Start a new chat, or load the model with a larger context (--ctx).",
            )
        return self._generate(tokens, prompt, opts, think, cancel_event)

    def _generate(
        self,
        tokens: list[int],
        prompt: str,
        opts: dict[str, Any],
        think: bool | None,
        cancel_event: threading.Event | None,
    ) -> Iterator[ChatChunk]:
        splitter = ThinkingSplitter(thinking=prompt_opens_thinking(prompt) and think is not False)
        max_tokens = opts["num_predict"] if opts["num_predict"] > 0 else None
        with self._lock:
            start = time.perf_counter()
            completion: Any = self.llm.create_completion(
                tokens,
                max_tokens=max_tokens,
                temperature=opts["temperature"],
                top_p=opts["top_p"],
                top_k=opts["top_k"],
                min_p=opts["min_p"],
                repeat_penalty=opts["repeat_penalty"],
                presence_penalty=opts.get("presence_penalty", 0.0),
                frequency_penalty=opts.get("frequency_penalty", 0.0),
                seed=opts.get("seed"),
                stop=list(opts.get("stop") or []),
                stream=True,
            )
            first_token_at: float | None = None
            count = 0
            reason = "stop"
            try:
                for part in completion:
                    if cancel_event is not None and cancel_event.is_set():
                        reason = "cancelled"
                        break
                    choice: Any = part["choices"][0]
                    text = choice.get("text") or ""
                    if text:
                        count += 1
                        if first_token_at is None:
                            first_token_at = time.perf_counter()
                        thinking, content = splitter.feed(text)
                        if thinking or content:
                            yield ChatChunk(content=content, thinking=thinking)
                    if choice.get("finish_reason"):
                        reason = "length" if choice["finish_reason"] == "length" else "stop"
            finally:
                close = getattr(completion, "close", None)
                if close is not None:
                    close()
            end = time.perf_counter()
        thinking, content = splitter.flush()
        if thinking or content:
            yield ChatChunk(content=content, thinking=thinking)
        prompt_done = first_token_at or end
        yield ChatChunk(
            done=True,
            stats=ChatStats(
                done_reason=reason,
                prompt_tokens=len(tokens),
                completion_tokens=count,
                prompt_seconds=prompt_done - start,
                completion_seconds=end - prompt_done if count else None,
                total_seconds=end - start,
            ),
        )

    def close(self) -> None:
        close = getattr(self.llm, "close", None)
        if close is not None:
            close()
