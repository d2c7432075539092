"""The Modelfile model, its renderer and its parser (Ollama's parser/parser.go grammar).

Ollama reads a Modelfile as commands (``FROM PARAMETER TEMPLATE SYSTEM ADAPTER LICENSE
MESSAGE`` and a few newer ones, case-insensitive; ``#`` starts a comment line). A value
runs to the end of the line, or — when it starts with ``"`` or ``\"\"\"`` — to the matching
closing quotes, newlines included, verbatim. Outside quotes it is stripped of surrounding
spaces. The parser drops characters Go does not call printable (other than space, tab,
CR, LF), and a value can never contain ``\"\"\"``. The renderer refuses such values instead
of writing a Modelfile that would read back differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.modelfile.errors import ModelfileError, ParameterError
from engine.modelfile.parameters import (
    format_parameter_value,
    normalize_parameters,
    parse_parameter_text,
)

if TYPE_CHECKING:
    from engine.template.derive import DerivedTemplate

MESSAGE_ROLES = ("system", "user", "assistant")
# commands Ollama knows besides the ones modelled as fields (kept and written back as-is)
EXTRA_COMMANDS = ("draft", "renderer", "parser", "requires")
COMMANDS = (
    "from",
    "parameter",
    "template",
    "system",
    "adapter",
    "license",
    "message",
    *EXTRA_COMMANDS,
)
_VERBATIM_CONTROLS = "\n\r\t"


@dataclass(frozen=True, kw_only=True)
class ModelfileMessage:
    role: str
    content: str


@dataclass(frozen=True, kw_only=True)
class Modelfile:
    """What ``ollama create`` needs. ``parameters`` are typed (``stop`` is a list).

    ``derivation`` (not written to the file) tells how the TEMPLATE was obtained and
    whether it was proven equal to the model's Jinja chat template.
    """

    from_path: str
    template: str | None = None
    system: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    adapters: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    messages: tuple[ModelfileMessage, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # (command, value) for DRAFT/RENDERER/…
    derivation: DerivedTemplate | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.from_path or not self.from_path.strip():
            raise ModelfileError("a Modelfile needs FROM (a GGUF path or a model name)")
        object.__setattr__(self, "parameters", normalize_parameters(self.parameters))
        for message in self.messages:
            if message.role not in MESSAGE_ROLES:
                raise ModelfileError(
                    f"MESSAGE role must be one of {', '.join(MESSAGE_ROLES)}, not {message.role!r}",
                    field="messages",
                )

    # ------------------------------------------------------------------ output
    def render(self) -> str:
        """Modelfile text (UTF-8, LF line ends); raises if a value cannot be written."""
        lines = [f"FROM {_quote(self.from_path, field='FROM', always=False)}"]
        for adapter in self.adapters:
            lines.append(f"ADAPTER {_quote(adapter, field='ADAPTER', always=False)}")
        if self.template is not None:
            lines.append(f"TEMPLATE {_quote(self.template, field='TEMPLATE')}")
        if self.system is not None:
            lines.append(f"SYSTEM {_quote(self.system, field='SYSTEM')}")
        for name, value in self.parameters.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                text = (
                    _quote(item, field=f"PARAMETER {name}", short=True)
                    if isinstance(item, str)
                    else format_parameter_value(name, item)
                )
                lines.append(f"PARAMETER {name} {text}")
        for message in self.messages:
            lines.append(f"MESSAGE {message.role} {_quote(message.content, field='MESSAGE')}")
        for command, value in self.extra:
            lines.append(f"{command.upper()} {_quote(value, field=command.upper(), always=False)}")
        for text in self.licenses:
            lines.append(f"LICENSE {_quote(text, field='LICENSE')}")
        return "\n".join(lines) + "\n"

    def parameters_json(self) -> dict[str, Any]:
        """``parameters`` for ``/api/create`` (``stop`` a list, numbers as numbers)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.parameters.items()}

    def create_fields(self) -> dict[str, Any]:
        """The ``/api/create`` fields this Modelfile defines besides the model files."""
        body: dict[str, Any] = {}
        if self.template is not None:
            body["template"] = self.template
        if self.system is not None:
            body["system"] = self.system
        if self.parameters:
            body["parameters"] = self.parameters_json()
        if self.messages:
            body["messages"] = [{"role": m.role, "content": m.content} for m in self.messages]
        if self.licenses:
            body["license"] = list(self.licenses)
        return body

    @classmethod
    def parse(cls, text: str) -> Modelfile:
        return parse_modelfile(text)


def _check_writable(text: str, field: str) -> None:
    if '"""' in text:
        raise ModelfileError(
            f'the {field} value contains """, which a Modelfile cannot hold',
            field=field,
            hint="Send it through the API (/api/create JSON keeps any text) or remove the "
            "triple quote.",
        )
    for index, ch in enumerate(text):
        if not ch.isprintable() and ch not in _VERBATIM_CONTROLS:
            raise ModelfileError(
                f"the {field} value contains the invisible character U+{ord(ch):04X} at "
                f"position {index}, which Ollama's Modelfile parser drops",
                field=field,
                hint="Remove it, or send the value through the API (/api/create JSON).",
            )


def _quote(text: str, *, field: str, always: bool = True, short: bool = False) -> str:
    """Quote a value so Ollama's parser reads exactly ``text`` back.

    ``always``: triple-quoted (or ``"…"`` with ``short`` when there is no ``"``);
    otherwise bare text when that reads back unchanged (FROM paths, ADAPTER …).
    """
    _check_writable(text, field)
    if always and short and '"' not in text:
        return f'"{text}"'
    if not always:
        if "\n" in text or "\r" in text:
            raise ModelfileError(f"the {field} value cannot span lines", field=field)
        if text and text == text.strip(" \t") and not text.startswith('"'):
            return text
        if '"' in text:
            raise ModelfileError(f"the {field} value cannot be quoted: {text!r}", field=field)
        return f'"{text}"'
    return f'"""{text}"""'


# ------------------------------------------------------------------ parser


def _unquote(value: str) -> tuple[str, bool]:
    """Ollama's ``unquote``: strip ``\"\"\"…\"\"\"`` or ``"…"``; False when unterminated."""
    if value.startswith('"""'):
        if len(value) >= 6 and value.endswith('"""'):
            return value[3:-3], True
        return "", False
    if value.startswith('"'):
        if len(value) >= 2 and value.endswith('"'):
            return value[1:-1], True
        return "", False
    return value, True


def _go_trim(text: str) -> str:
    return text.strip(" \t\n\r\v\f\x85\xa0")


def _commands(text: str) -> list[tuple[str, str, int]]:
    """(command, value, line) triples, following parser/parser.go ``ParseFile``'s states."""
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[tuple[str, str, int]] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            line += ch == "\n"
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
            continue
        start_line = line
        j = i
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        name = text[i:j].lower()
        if j >= n or text[j] not in " \t" or name not in COMMANDS:
            raise ModelfileError(
                "unknown command; it must be one of " + ", ".join(c.upper() for c in COMMANDS),
                line=start_line,
            )
        i = j + 1
        if name in ("parameter", "message"):
            j = i
            allowed = "_0123456789" if name == "parameter" else ""
            while j < n and text[j].isascii() and (text[j].isalpha() or text[j] in allowed):
                j += 1
            if j >= n or text[j] not in " \t":
                raise ModelfileError(f"{name.upper()} needs a name and a value", line=start_line)
            sub = text[i:j]
            i = j + 1
        else:
            sub = ""
        # the value ends at a newline where what was read so far unquotes
        buffer: list[str] = []
        while True:
            if i >= n:
                value, ok = _unquote(_go_trim("".join(buffer)))
                if not ok:
                    raise ModelfileError("unterminated quoted value", line=start_line)
                break
            ch = text[i]
            i += 1
            if ch in "\r\n":
                value, ok = _unquote(_go_trim("".join(buffer)))
                if ok:
                    line += ch == "\n"
                    break
                buffer.append(ch)
                line += ch == "\n"
            elif ch in " \t" or ch.isprintable():
                buffer.append(ch)
            # other characters are dropped, as Ollama does
        out.append((f"{name}:{sub}" if sub else name, value, start_line))
    return out


def parse_modelfile(text: str) -> Modelfile:
    """Read Modelfile text; values keep their exact text, parameters are typed."""
    from_path: str | None = None
    template = system = None
    params: dict[str, Any] = {}
    adapters: list[str] = []
    licenses: list[str] = []
    messages: list[ModelfileMessage] = []
    extra: list[tuple[str, str]] = []
    for command, value, line in _commands(text):
        name, _, sub = command.partition(":")
        try:
            if name == "from":
                if from_path is not None:
                    raise ModelfileError("more than one FROM", line=line)
                from_path = value
            elif name == "template":
                template = value
            elif name == "system":
                system = value
            elif name == "adapter":
                adapters.append(value)
            elif name == "license":
                licenses.append(value)
            elif name == "message":
                if sub not in MESSAGE_ROLES:
                    raise ModelfileError(
                        f"MESSAGE role must be one of {', '.join(MESSAGE_ROLES)}", line=line
                    )
                messages.append(ModelfileMessage(role=sub, content=value))
            elif name == "parameter":
                typed = parse_parameter_text(sub, value)
                if isinstance(typed, list):
                    params[sub] = [*params.get(sub, []), *typed]
                else:
                    params[sub] = typed
            else:
                extra.append((name, value))
        except ParameterError as exc:
            raise ParameterError(exc.message, hint=exc.hint, field=exc.field, line=line) from exc
    if from_path is None:
        raise ModelfileError("no FROM line", hint="A Modelfile starts with FROM <model.gguf>.")
    return Modelfile(
        from_path=from_path,
        template=template,
        system=system,
        parameters=params,
        adapters=tuple(adapters),
        licenses=tuple(licenses),
        messages=tuple(messages),
        extra=tuple(extra),
    )
