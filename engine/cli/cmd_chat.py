"""``tuneforge chat NAME`` (a model in Ollama) or ``tuneforge chat --gguf FILE`` (in-process)."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

EXIT_WORDS = {"/bye", "/exit", "/quit"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "chat",
        help="chat with a model in Ollama, or with a .gguf file in-process",
        description="Chat in the terminal. Type /bye (or Ctrl-D) to leave, /clear to start "
        "over; Ctrl-C stops the current answer.",
    )
    parser.add_argument("name", nargs="?", help="Ollama model name, e.g. my-model:latest")
    parser.add_argument("--gguf", type=Path, help="chat with this .gguf in-process (no Ollama)")
    parser.add_argument("--host", help="Ollama address (default: OLLAMA_HOST or 127.0.0.1:11434)")
    parser.add_argument("--template", type=Path, help="Jinja chat template file (--gguf only)")
    parser.add_argument("--ctx", type=int, default=4096, help="context length for --gguf")
    parser.add_argument("-p", "--prompt", help="ask one question, print the answer, exit")
    parser.add_argument("--system", help="system message")
    think = parser.add_mutually_exclusive_group()
    think.add_argument(
        "--think",
        dest="think",
        action="store_true",
        default=None,
        help="ask the model to think first (if it can)",
    )
    think.add_argument(
        "--no-think",
        dest="think",
        action="store_false",
        help="ask a thinking model to answer directly",
    )
    parser.add_argument("--hide-thinking", action="store_true", help="do not print the thinking")
    parser.add_argument("--temperature", type=float, help="sampling temperature")
    parser.add_argument("--seed", type=int, help="random seed (same seed, same answer)")
    parser.add_argument("--num-predict", type=int, help="stop after this many tokens")
    parser.add_argument("--verbose", action="store_true", help="print token counts and speed")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.chat import open_backend
    from engine.errors import InputError

    if (args.name is None) == (args.gguf is None):
        raise InputError(
            "give a model name or --gguf FILE (not both)",
            hint="`tuneforge chat my-model` or `tuneforge chat --gguf model.gguf`",
        )
    if args.gguf is not None:
        from engine.cli.paths import check_gguf_file

        check_gguf_file(args.gguf)
    template = None
    if args.template is not None:
        if args.gguf is None:
            raise InputError("--template only applies to --gguf", field="template")
        template = args.template.read_text(encoding="utf-8")
    backend = open_backend(
        model=args.name, gguf=args.gguf, host=args.host, n_ctx=args.ctx, template=template
    )
    options: dict[str, Any] = {}
    if args.temperature is not None:
        options["temperature"] = args.temperature
    if args.seed is not None:
        options["seed"] = args.seed
    if args.num_predict is not None:
        options["num_predict"] = args.num_predict
    session = ChatSession(
        backend,
        options=options,
        think=args.think,
        system=args.system,
        show_thinking=not args.hide_thinking,
        verbose=args.verbose,
    )
    try:
        if args.prompt is not None:
            return session.ask(args.prompt)
        if not sys.stdin.isatty():
            return session.ask(sys.stdin.read())
        return session.repl()
    finally:
        backend.close()


class ChatSession:
    """A conversation in the terminal: history, streaming print, Ctrl-C stops one answer."""

    def __init__(
        self,
        backend: Any,
        *,
        options: dict[str, Any],
        think: bool | None,
        system: str | None,
        show_thinking: bool = True,
        verbose: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        from engine.chat import ChatMessage

        self.backend = backend
        self.options = options
        self.think = think
        self.show_thinking = show_thinking
        self.verbose = verbose
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._start = [ChatMessage(role="system", content=system)] if system else []
        self.history = list(self._start)

    def ask(self, text: str) -> int:
        from engine.chat import ChatMessage

        if not text.strip():
            return 0
        self.history.append(ChatMessage(role="user", content=text.strip()))
        answer = self._answer()
        if answer is None:
            self.history.pop()
            return 130
        self.history.append(answer)
        return 0

    def repl(self) -> int:
        print(
            f"Chatting with {self.backend.label}. /bye to leave, /clear to start over.",
            file=self.err,
        )
        while True:
            try:
                line = input(">>> ")
            except EOFError:
                print(file=self.out)
                return 0
            except KeyboardInterrupt:
                print("\n(/bye or Ctrl-D to leave)", file=self.err)
                continue
            command = line.strip()
            if command in EXIT_WORDS:
                return 0
            if command == "/clear":
                self.history = list(self._start)
                print("(conversation cleared)", file=self.err)
                continue
            self.ask(line)

    def _answer(self) -> Any:
        from engine.chat import ChatMessage

        cancel = threading.Event()
        content: list[str] = []
        thinking: list[str] = []
        in_thinking = False
        stats = None
        try:
            for chunk in self.backend.stream(
                self.history, options=self.options, think=self.think, cancel_event=cancel
            ):
                if chunk.thinking:
                    thinking.append(chunk.thinking)
                    if self.show_thinking:
                        if not in_thinking:
                            self._write(_dim("Thinking...\n"))
                            in_thinking = True
                        self._write(_dim(chunk.thinking))
                if chunk.content:
                    if in_thinking:
                        self._write(_dim("\n...done thinking.\n\n"))
                        in_thinking = False
                    content.append(chunk.content)
                    self._write(chunk.content)
                if chunk.done:
                    stats = chunk.stats
        except KeyboardInterrupt:
            cancel.set()
            self._write("\n")
            print("(stopped)", file=self.err)
            return None
        self._write("\n" if "".join(content).endswith("\n") else "\n\n")
        if self.verbose and stats is not None:
            print(f"({stats.summary()})", file=self.err)
        return ChatMessage(role="assistant", content="".join(content), thinking="".join(thinking))

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def _dim(text: str) -> str:
    if sys.stdout.isatty():
        return f"\x1b[2m{text}\x1b[0m"
    return text
