"""Create bodies, parameter checks, and the one place HTTP errors are translated."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.ollama import (
    BadRequest,
    DigestMismatch,
    ModelNotFound,
    OllamaError,
    OllamaTooOld,
    ServerError,
    normalize_digest,
    normalize_parameters,
)
from engine.ollama.errors import error_from_response
from engine.ollama.payloads import json_create_body, legacy_create_body
from tests.ollama_double.modelfile import parse_modelfile

HEX = "AbC" * 21 + "d"


def test_digest_normalization():
    assert normalize_digest(f"sha256:{HEX}") == f"sha256:{HEX.lower()}"
    assert normalize_digest(HEX) == f"sha256:{HEX.lower()}"
    assert normalize_digest(f"sha256-{HEX}") == f"sha256:{HEX.lower()}"
    for bad in ("sha256:abc", "md5:" + "a" * 64, "", "sha256:" + "g" * 64):
        with pytest.raises(InputError):
            normalize_digest(bad)


def test_parameters_are_typed():
    assert normalize_parameters(
        {"stop": "<|im_end|>", "temperature": 1, "num_ctx": 4096.0, "use_mmap": False}
    ) == {"stop": ["<|im_end|>"], "temperature": 1.0, "num_ctx": 4096, "use_mmap": False}
    assert normalize_parameters({"stop": ["a", "b", "a"]}) == {"stop": ["a", "b"]}
    assert normalize_parameters(None) == {}
    for bad, field in [
        ({"temperature": True}, "temperature"),
        ({"num_ctx": 1.5}, "num_ctx"),
        ({"use_mmap": 1}, "use_mmap"),
        ({"stop": [None]}, "stop"),
        ({"nope": 1}, "nope"),
    ]:
        with pytest.raises(InputError) as info:
            normalize_parameters(bad)
        assert info.value.field == field


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "two\nlines",
        "\nleading and trailing newlines\n\n",
        'quotes "inside" and at the end"',
        '"starts with a quote',
        "  spaces around  ",
        "中文 系统提示\t带制表符",
        "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}",
    ],
)
def test_modelfile_values_read_back_verbatim(text):
    body = legacy_create_body(
        "m",
        gguf_digest="sha256:" + "a" * 64,
        template=text,
        system=text,
        parameters={"stop": [text.strip() or "x"]},
        messages=[{"role": "user", "content": text}],
        license=text,
        quantize=None,
    )
    commands = parse_modelfile(body["modelfile"])
    assert ("template", "", text) in commands
    assert ("system", "", text) in commands
    assert ("message", "user", text) in commands
    assert ("license", "", text) in commands
    assert ("parameter", "stop", text.strip() or "x") in commands


def test_triple_quotes_cannot_be_written():
    with pytest.raises(InputError, match='"""'):
        legacy_create_body(
            "m",
            gguf_digest="sha256:" + "a" * 64,
            template=None,
            system='a """ b',
            parameters=None,
            messages=None,
            license=None,
            quantize=None,
        )


def test_text_parameter_values_are_read_like_ollama_formatparams():
    """Where the two old normalizers disagreed: text for a typed parameter. Ollama reads
    PARAMETER text with ``strconv`` (ollama/ollama ``api/types.go`` ``FormatParams``:
    ParseFloat / ParseInt / ParseBool), so "0.7" is 0.7 and "T" is true; the body sent
    carries JSON numbers/booleans, never the text (``Options.FromMap`` would reject it)."""
    assert normalize_parameters({"temperature": "0.7", "num_ctx": "+8", "use_mmap": "T"}) == {
        "num_ctx": 8,
        "temperature": 0.7,
        "use_mmap": True,
    }
    fields = dict(
        gguf_digest="sha256:" + "a" * 64,
        template=None,
        system=None,
        parameters={"temperature": "0.7", "use_mmap": "false", "stop": "<|im_end|>"},
        messages=None,
        license=None,
        quantize=None,
    )
    assert json_create_body("m", **fields)["parameters"] == {
        "temperature": 0.7,
        "use_mmap": False,
        "stop": ["<|im_end|>"],
    }
    commands = parse_modelfile(legacy_create_body("m", **fields)["modelfile"])
    assert ("parameter", "temperature", "0.7") in commands
    assert ("parameter", "use_mmap", "false") in commands
    for bad in ({"temperature": "warm"}, {"num_ctx": "1.5"}, {"use_mmap": "yes"}):
        with pytest.raises(InputError):
            normalize_parameters(bad)


@pytest.mark.parametrize(
    ("status", "body", "kind", "needle"),
    [
        (404, '{"error":"model \'x:latest\' not found"}', ModelNotFound, "no model"),
        (
            400,
            '{"error":"digest mismatch, expected \\"a\\", got \\"b\\""}',
            DigestMismatch,
            "checksum",
        ),
        (
            200,
            '{"error":"template error: template: :1: unclosed action"}',
            BadRequest,
            "chat template",
        ),
        (400, '{"error":"invalid model name"}', BadRequest, "model name"),
        (400, '{"error":"\\"m\\" does not support thinking"}', BadRequest, "thinking"),
        (500, '{"error":"option \\"stop\\" must be of type array"}', BadRequest, "wrong type"),
        (500, '{"error":"unknown model architecture: \'qwen3\'"}', OllamaTooOld, "cannot run"),
        (
            500,
            '{"error":"open /x/blobs/sha256-1: no such file or directory"}',
            ServerError,
            "no longer has",
        ),
        (502, "Bad Gateway", ServerError, "Bad Gateway"),
        (418, '{"error":"teapot"}', BadRequest, "teapot"),
        (403, "", OllamaError, "refused"),
        (404, "404 page not found", OllamaTooOld, "does not have"),
    ],
)
def test_error_translation(status, body, kind, needle):
    err = error_from_response(status, body, action="doing it", model="x" if status == 404 else None)
    assert type(err) is kind or (kind is OllamaError and isinstance(err, OllamaError))
    assert needle in err.message
    assert err.message.startswith("doing it")
    assert err.details["status"] == status
    if kind is not BadRequest:
        assert err.hint


def test_quantize_types_ollama_can_make():
    from engine.ollama.payloads import check_quantize

    assert check_quantize("Q4_K_M") == "q4_K_M" and check_quantize("q8_0") == "q8_0"
    with pytest.raises(InputError, match="q5_K_M"):
        check_quantize("q5_K_M")
