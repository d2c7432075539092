"""Known chat-template families: detection by the Jinja text, Go templates as data files.

``families/families.json`` lists each family's variants (detection signatures and the
``.gotmpl`` file), the holes its Go template has and how to fill them, its turn-marker
stops and its thinking tags. Detection never looks at the model's name.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from engine.template.conversations import Conversation, Turn, jinja_messages, thinking_style
from engine.template.errors import TemplateDerivationError
from engine.template.jinja_render import render_chat_template
from engine.template.tokens import TemplateTokens

_DATA = resources.files("engine.template") / "families"
_HOLE = re.compile(r"\[\[([a-z0-9_]+)\]\]")
_DATE = re.compile("\x00DATE:(.*?)\x00")

PROBE_TOOL: Mapping[str, Any] = {
    "type": "function",
    "function": {
        "name": "tf_probe",
        "description": "probe",
        "parameters": {"type": "object", "properties": {}},
    },
}


@dataclass(frozen=True, kw_only=True)
class Variant:
    name: str
    template_file: str
    signatures: tuple[str, ...]
    absent: tuple[str, ...]

    def matches(self, chat_template: str) -> bool:
        return all(s in chat_template for s in self.signatures) and not any(
            s in chat_template for s in self.absent
        )

    def go_source(self) -> str:
        """The .gotmpl text; the file's final newline is not part of the template."""
        text = (_DATA / self.template_file).read_text(encoding="utf-8")
        return text.replace("\r\n", "\n").removesuffix("\n")


@dataclass(frozen=True, kw_only=True)
class Family:
    name: str
    label: str
    thinking_tags: tuple[str, str] | None
    stops: tuple[str, ...]
    variants: tuple[Variant, ...]
    holes: Mapping[str, Mapping[str, Any]]
    # what the Go template cannot do that the Jinja does (Go's text/template has no string
    # functions): said with the derived template, not hidden behind a passed parity check
    caveats: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def load_families() -> tuple[Family, ...]:
    table = json.loads((_DATA / "families.json").read_text(encoding="utf-8"))
    out = []
    for item in table["families"]:
        thinking = item.get("thinking")
        out.append(
            Family(
                name=item["name"],
                label=item["label"],
                thinking_tags=(thinking["open"], thinking["close"]) if thinking else None,
                stops=tuple(item["stops"]),
                variants=tuple(
                    Variant(
                        name=v["name"],
                        template_file=v["template"],
                        signatures=tuple(v["signatures"]),
                        absent=tuple(v.get("absent", ())),
                    )
                    for v in item["variants"]
                ),
                holes=item.get("holes", {}),
                caveats=tuple(item.get("caveats", ())),
            )
        )
    return tuple(out)


def family_names() -> list[str]:
    return [f.name for f in load_families()]


def detect_families(chat_template: str) -> list[tuple[Family, Variant]]:
    """Every (family, variant) whose signatures the Jinja text carries, most specific first."""
    return [
        (family, variant)
        for family in load_families()
        for variant in family.variants
        if variant.matches(chat_template)
    ]


# ------------------------------------------------------------------ Go source helpers


def go_string_action(text: str) -> str:
    """``text`` as a Go template action printing it verbatim (immune to ``{{-`` trimming)."""
    if not text:
        return ""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '{{ "' + "".join(out) + '" }}'


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _month_chain(names: tuple[str, ...]) -> str:
    parts = [
        f'{{{{ {"if" if i == 0 else "else if"} eq (slice (currentDate) 5 7) "{i + 1:02d}" }}}}{name}'
        for i, name in enumerate(names)
    ]
    return "".join(parts) + "{{ end }}"


def go_date_source(strftime_format: str) -> str:
    """Go template code printing today's date like Python's ``strftime(strftime_format)``.

    Ollama only offers ``currentDate`` (YYYY-MM-DD), so the parts are sliced out of it.
    """
    pieces = {
        "%Y": "{{ slice (currentDate) 0 4 }}",
        "%y": "{{ slice (currentDate) 2 4 }}",
        "%m": "{{ slice (currentDate) 5 7 }}",
        "%d": "{{ slice (currentDate) 8 10 }}",
        "%-d": '{{ if eq (slice (currentDate) 8 9) "0" }}{{ slice (currentDate) 9 10 }}'
        "{{ else }}{{ slice (currentDate) 8 10 }}{{ end }}",
        "%-m": '{{ if eq (slice (currentDate) 5 6) "0" }}{{ slice (currentDate) 6 7 }}'
        "{{ else }}{{ slice (currentDate) 5 7 }}{{ end }}",
        "%b": _month_chain(_MONTHS),
        "%B": _month_chain(_MONTHS_LONG),
        "%%": go_string_action("%"),
    }
    out = []
    rest = strftime_format
    while rest:
        directive = next((d for d in pieces if rest.startswith(d)), None)
        if directive is not None:
            out.append(pieces[directive])
            rest = rest[len(directive) :]
        elif rest.startswith("%"):
            raise TemplateDerivationError(
                f"the chat template prints the date with {rest[:3]!r}, which an Ollama "
                "template cannot reproduce"
            )
        else:
            literal = rest.split("%", 1)[0]
            out.append(go_string_action(literal))
            rest = rest[len(literal) :]
    return "".join(out)


def text_to_go(text: str) -> str:
    """Probe text (which may hold date sentinels) as Go template source."""
    out = []
    pos = 0
    for match in _DATE.finditer(text):
        out.append(go_string_action(text[pos : match.start()]))
        out.append(go_date_source(match.group(1)))
        pos = match.end()
    out.append(go_string_action(text[pos:]))
    return "".join(out)


def sentinel_strftime(fmt: str) -> str:
    """A ``strftime_now`` that marks where and how the template prints the date."""
    return f"\x00DATE:{fmt}\x00"


# ------------------------------------------------------------------ probes and holes

PLACEHOLDERS = {
    "$U1": "TFPROBEU1X",
    "$U2": "TFPROBEU2X",
    "$U3": "TFPROBEU3X",
    "$A1": "TFPROBEA1X",
    "$A2": "TFPROBEA2X",
    "$S1": "TFPROBES1X",
}


def _fill(text: str) -> str:
    for key, value in PLACEHOLDERS.items():
        text = text.replace(key, value)
    return text


def render_probe(
    chat_template: str,
    tokens: TemplateTokens,
    turns: list[tuple[str, str]],
    *,
    context: Mapping[str, Any] | None = None,
    tools: bool = False,
) -> str:
    """Render a probe conversation (dates as sentinels), with a leading BOS removed."""
    conversation = Conversation(
        name="probe",
        description="probe",
        turns=tuple(Turn(role=role, content=_fill(content)) for role, content in turns),
    )
    text = render_chat_template(
        chat_template,
        jinja_messages(conversation, thinking_style(chat_template)),
        special_tokens=tokens.special_tokens_map(),
        tools=[PROBE_TOOL] if tools else None,
        extra_context=context,
        strftime_now=sentinel_strftime,
    )
    if tokens.bos_token and text.startswith(tokens.bos_token):
        text = text[len(tokens.bos_token) :]
    return text


def hole_text(chat_template: str, tokens: TemplateTokens, spec: Mapping[str, Any]) -> str:
    """The raw text of one hole (see families.json's comment for the spec)."""
    if "token" in spec:
        name = spec["token"]
        value = tokens.special_tokens_map().get(name)
        if not value:
            raise TemplateDerivationError(f"the template needs {name}, which the tokenizer lacks")
        return value
    text = render_probe(
        chat_template,
        tokens,
        [(role, content) for role, content in spec["probe"]],
        context=spec.get("context"),
        tools=bool(spec.get("tools")),
    )
    start = 0
    if "after" in spec:
        marker = _fill(spec["after"])
        found = text.find(marker)
        if found < 0:
            raise TemplateDerivationError(f"probe output lacks {marker!r}")
        start = found + len(marker)
    elif "after_last" in spec:
        marker = _fill(spec["after_last"])
        found = text.rfind(marker)
        if found < 0:
            raise TemplateDerivationError(f"probe output lacks {marker!r}")
        start = found + len(marker)
    end = len(text)
    if "before" in spec:
        marker = _fill(spec["before"])
        found = text.find(marker, start)
        if found < 0:
            raise TemplateDerivationError(f"probe output lacks {marker!r}")
        end = found
    value = text[start:end]
    if any(p in value for p in PLACEHOLDERS.values()):
        raise TemplateDerivationError("probe hole swallowed message content")
    return value


def build_family_template(
    chat_template: str, tokens: TemplateTokens, family: Family, variant: Variant
) -> str:
    """The variant's Go template with its holes filled from this chat template."""
    source = variant.go_source()
    needed = set(_HOLE.findall(source))
    values: dict[str, str] = {}
    for name in needed:
        spec = family.holes.get(name)
        if spec is None or (spec.get("variants") and variant.name not in spec["variants"]):
            raise TemplateDerivationError(f"{variant.template_file} uses an unknown hole {name!r}")
        values[name] = text_to_go(hole_text(chat_template, tokens, spec))
    return _HOLE.sub(lambda m: values[m.group(1)], source)
