"""llama.cpp keys Phi-3's whitespace handling on ``general.name``: the tag must survive a
user's own folder name."""

from __future__ import annotations

import shutil

import pytest

from engine.convert import ConvertSpec, convert_job
from engine.convert.arch.gemma2 import Gemma2Architecture
from engine.convert.arch.phi3 import Phi3Architecture
from engine.formats.gguf_read import open_gguf
from engine.jobs import null_context


def test_name_with_tag():
    phi3 = Phi3Architecture()
    assert phi3.general_name("客服 fine-tune", rstrip_specials=True) == "客服 fine-tune (phi3)"
    assert phi3.general_name("Phi-3.5-mini-instruct", rstrip_specials=True) == (
        "Phi-3.5-mini-instruct"
    )
    assert phi3.general_name("my-model", rstrip_specials=False) == "my-model"
    assert Gemma2Architecture().general_name("my-model", rstrip_specials=True) == "my-model"


@pytest.mark.slow
def test_phi3_tag_kept_for_any_folder_name(tiny_models, tmp_path):
    folder = tmp_path / "我的 模型"
    shutil.copytree(tiny_models("phi3"), folder)
    out = tmp_path / "out.gguf"
    convert_job(ConvertSpec(model_dir=folder, output=out, out_type="f16"), null_context())
    name = open_gguf(out).value("general.name")
    assert "phi3" in name.lower() and name.startswith("我的 模型")
