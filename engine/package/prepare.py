"""``prepare(source, base)``: what packaging a source will do, before it is done.

One call reads the source (and an adapter's base model): the kind of source, the inspect
reports, the quant choices with the exact sizes of the converter's tensor plan, the chat
template the Modelfile will carry (with its parity proof) and the stages the run shows.
The GUI's Package page and ``tuneforge inspect --plan`` show it; it reads files, so a
GUI calls it off its GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import TuneforgeError
from engine.jobs.vocabulary import SourceKind, Stage
from engine.package.spec import package_stages

if TYPE_CHECKING:  # imported when prepare() runs: `import engine.package` stays light
    from engine.inspect import InspectReport
    from engine.quant import QuantChoice


@dataclass(frozen=True, kw_only=True)
class TemplatePreview:
    """The Ollama template the Modelfile will carry, and the proof that it renders like the
    model's own Jinja chat template."""

    family: str | None
    template: str  # the Ollama Go template that will be sent ("" if none)
    stop: tuple[str, ...] = ()
    parity: bool | None = None  # None: not checked
    first_difference: str = ""
    conversations: int = 0  # conversations the parity check compared
    note: str = ""  # why there is no template, or why parity was not checked


@dataclass(frozen=True, kw_only=True)
class PreparedSource:
    """Everything known about a source before it is packaged."""

    kind: SourceKind
    report: InspectReport
    base_report: InspectReport | None = None  # the adapter's base model, found or given
    quant_choices: tuple[QuantChoice, ...] = ()  # exact sizes; () = the file is kept as it is
    quant_note: str = ""  # why there are no choices (no base yet, unsupported, quantized GGUF)
    template: TemplatePreview | None = None
    suggested_name: str = "my-model"
    stages: tuple[Stage, ...] = ()

    @property
    def needs_base(self) -> bool:
        """A LoRA adapter whose base model is neither given nor found."""
        return self.kind == SourceKind.LORA_ADAPTER and self.base_report is None

    @property
    def kept_file_type(self) -> str | None:
        """A GGUF source: the type it is registered as unless it is re-quantized."""
        gguf = self.report.gguf
        return (gguf.file_type or "GGUF") if gguf is not None else None


def prepare(source: Path, base: Path | None = None) -> PreparedSource:
    """Inspect ``source`` (a model folder, LoRA adapter folder or .gguf) and, for an adapter,
    its base (``base``, else the one the adapter names when it is found locally)."""
    from engine.inspect import inspect_path

    report = inspect_path(Path(source))
    kind = SourceKind(report.kind)
    base_report = None
    if kind == SourceKind.LORA_ADAPTER:
        assert report.adapter is not None
        found = base or (Path(report.adapter.base_found) if report.adapter.base_found else None)
        if found is not None:
            base_report = inspect_path(found)
    choices, note = _quant_choices(kind, report, base_report)
    return PreparedSource(
        kind=kind,
        report=report,
        base_report=base_report,
        quant_choices=tuple(choices),
        quant_note=note,
        template=_template(kind, report, base_report),
        suggested_name=suggested_model_name(Path(report.path)),
        stages=package_stages(kind),
    )


def suggested_model_name(path: Path) -> str:
    """A valid Ollama name from a folder/file name ("Qwen2.5 0.5B 微调" → "qwen2.5-0.5b")."""
    stem = Path(path).name
    if stem.lower().endswith(".gguf"):
        stem = stem[:-5]
    out: list[str] = []
    dash = False
    for char in stem.lower():
        if char.isascii() and (char.isalnum() or char in "._"):
            out.append(char)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    name = "".join(out).strip("-.") or "my-model"
    if not (name[0].isalnum() or name[0] == "_"):
        name = "m" + name
    return name[:60]


def _quant_choices(
    kind: SourceKind, report: InspectReport, base_report: InspectReport | None
) -> tuple[list[QuantChoice], str]:
    """The picker rows: the converter's plan of the model (an adapter: of its base), or
    what re-quantizing an unquantized GGUF offers."""
    try:
        if kind == SourceKind.GGUF:
            from engine.quant.requantize import quant_choices_for_gguf

            return quant_choices_for_gguf(Path(report.path)), ""
        model = base_report if kind == SourceKind.LORA_ADAPTER else report
        if model is None:
            return [], "choose the base model first"
        from engine.convert.estimate import quant_choices_for_model

        return quant_choices_for_model(Path(model.path)), ""
    except TuneforgeError as exc:  # a quantized GGUF, an unsupported architecture, …
        return [], exc.message


def _template(
    kind: SourceKind, report: InspectReport, base_report: InspectReport | None
) -> TemplatePreview | None:
    """The template derivation the package run does (engine.hf.chat_template_folder picks
    the folder: an adapter's own chat template wins over its base's)."""
    from engine.hf import chat_template_folder, load_hf_folder
    from engine.template import derive_from_source, template_from_gguf, template_from_model_dir

    info: Any = report.model or report.gguf
    family = getattr(info, "chat_template_family", None)
    try:
        if kind == SourceKind.GGUF:
            source = template_from_gguf(Path(report.path))
        else:
            folder = load_hf_folder(Path(report.path))
            if kind == SourceKind.LORA_ADAPTER:
                if base_report is not None:
                    folder = chat_template_folder(load_hf_folder(Path(base_report.path)), folder)
                elif not folder.chat_template:
                    return None
            source = template_from_model_dir(folder)
        derived = derive_from_source(source)
    except TuneforgeError as exc:
        return TemplatePreview(family=family, template="", parity=None, note=exc.message)
    parity = derived.parity
    checked = [c for c in parity.cases if c.status != "not_applicable"] if parity else []
    note = parity.reason if parity is not None and parity.status == "not_run" else ""
    if derived.fallback and derived.warnings:
        note = f"{note} {derived.warnings[-1]}" if note else derived.warnings[-1]
    return TemplatePreview(
        family=derived.family,
        template=derived.go_template or "",
        stop=tuple(derived.stops),
        parity=None if parity is None or parity.status == "not_run" else parity.identical,
        first_difference=(parity.first_difference or "") if parity else "",
        conversations=len(checked),
        note=(note or "").strip(),
    )


__all__ = ["PreparedSource", "TemplatePreview", "prepare", "suggested_model_name"]
