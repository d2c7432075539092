"""Issue 12 §4: one chat template per folder. The GGUF embeds exactly the template the
Modelfile's Go template is derived from, whichever files hold templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine.convert import ConvertSpec, convert_job
from engine.hf import chat_template_folder, load_hf_folder, read_chat_format
from engine.jobs import null_context
from engine.modelfile import build_modelfile
from engine.template import template_from_model_dir
from tests.engine.convert.helpers import read_gguf
from tests.fixtures.models import chat_template

CHAT_TEMPLATE_KEY = "tokenizer.chat_template"


def _embedded(gguf: Path) -> str:
    kind, value = read_gguf(gguf).keys[CHAT_TEMPLATE_KEY]
    assert kind == "STRING"
    return str(value)


def _convert(model_dir: Path, output: Path, **extra) -> Path:
    spec = ConvertSpec(model_dir=model_dir, output=output, out_type="f16", **extra)
    return convert_job(spec, null_context()).output


def _go_template(**source) -> str | None:
    return build_modelfile(from_path="./m.gguf", verify=False, **source).template


def test_embedded_template_is_the_modelfile_source(tiny_model, tiny_family, converted):
    gguf = converted(tiny_family).output
    embedded = _embedded(gguf)
    assert embedded == template_from_model_dir(tiny_model).chat_template
    assert embedded == read_chat_format(tiny_model).chat_template
    # the Modelfile built from the folder equals the one built from the GGUF's own template
    assert _go_template(model_dir=tiny_model) == _go_template(gguf_path=gguf)


def _other_family(family: str) -> str:
    return "qwen2" if family in ("llama3",) else "llama3"


def test_jinja_file_and_tokenizer_config_disagree(tiny_model, tiny_family, tmp_path):
    """chat_template.jinja holds the family's template, tokenizer_config.json another
    family's: transformers uses the .jinja file, so the GGUF and the Modelfile must too."""
    folder = tmp_path / "两个 模板"
    shutil.copytree(tiny_model, folder)
    own, other = chat_template(tiny_family), chat_template(_other_family(tiny_family))
    assert own != other
    (folder / "chat_template.jinja").write_text(own, encoding="utf-8", newline="")
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["chat_template"] = other
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")

    gguf = _convert(folder, tmp_path / "out.gguf")
    assert _embedded(gguf) == own
    assert template_from_model_dir(folder).chat_template == own
    from_folder = _go_template(model_dir=folder)
    assert from_folder == _go_template(gguf_path=gguf)
    # …and the test can tell the two sources apart: the other template derives differently
    (folder / "chat_template.jinja").unlink()
    assert template_from_model_dir(folder).chat_template == other
    assert _go_template(model_dir=folder) != from_folder


def test_adapter_template_is_embedded_and_used(tiny_lora_adapters, tiny_models, tmp_path):
    """A fine-tune's own template (next to the adapter) wins in the GGUF and the Modelfile."""
    adapter = tmp_path / "适配器"
    shutil.copytree(tiny_lora_adapters(), adapter)
    own = chat_template("phi3")  # the base (qwen2) uses ChatML
    (adapter / "chat_template.jinja").write_text(own, encoding="utf-8", newline="")
    gguf = _convert(adapter, tmp_path / "merged.gguf")
    assert _embedded(gguf) == own
    # package_job builds the Modelfile from the same folder (chat_template_folder)
    base = load_hf_folder(tiny_models("qwen2"))
    chosen = chat_template_folder(base, load_hf_folder(adapter))
    assert chosen.chat_templates.source_path == adapter / "chat_template.jinja"
    from_adapter = _go_template(model_dir=chosen)
    assert from_adapter == _go_template(gguf_path=gguf)
    assert from_adapter != _go_template(model_dir=base)
