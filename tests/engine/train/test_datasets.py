"""Dataset layouts → conversations, and malformed files → FILE:LINE errors (torch-free)."""

from __future__ import annotations

import json

import pytest

from engine.train.conversation import Message
from engine.train.dataset import load_dataset
from engine.train.errors import DatasetError


def _jsonl(path, rows):
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def _roles(conv):
    return [(m.role, m.content, m.thinking) for m in conv.messages]


def test_alpaca_with_input_system_history_and_think(tmp_path):
    path = _jsonl(tmp_path / "数据 alpaca.jsonl", [
        {"instruction": "Translate", "input": "你好", "output": "Hello", "system": "Be brief",
         "history": [["Hi", "Hey"]]},
        {"instruction": "2+2?", "output": "<think>\nadd them\n</think>\n\n4"},
    ])  # fmt: skip
    data = load_dataset(path)
    assert data.format == "alpaca"
    assert _roles(data.conversations[0]) == [
        ("system", "Be brief", ""), ("user", "Hi", ""), ("assistant", "Hey", ""),
        ("user", "Translate\n你好", ""), ("assistant", "Hello", ""),
    ]  # fmt: skip
    assert _roles(data.conversations[1])[-1] == ("assistant", "4", "add them")
    assert (data.conversations[1].file, data.conversations[1].line) == (str(path), 2)


def test_sharegpt_roles_and_system_field(tmp_path):
    path = tmp_path / "sg.json"
    path.write_text(json.dumps([
        {"conversations": [{"from": "human", "value": "q1"}, {"from": "gpt", "value": "a1"},
                           {"from": "human", "value": "q2"}, {"from": "gpt", "value": "a2"}],
         "system": "sys"},
    ], indent=2), encoding="utf-8")  # fmt: skip
    data = load_dataset(path)
    assert data.format == "sharegpt"
    assert [m.role for m in data.conversations[0].messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert data.conversations[0].line == 2  # the line the example starts on


def test_openai_messages_with_reasoning_field(tmp_path):
    path = _jsonl(tmp_path / "oa.jsonl", [{"messages": [
        {"role": "system", "content": "s"}, {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a", "reasoning_content": "r"}]}])  # fmt: skip
    data = load_dataset(path)
    assert data.format == "openai"
    assert data.conversations[0].messages[-1] == Message(
        role="assistant", content="a", thinking="r"
    )


def test_dataset_info_columns_and_tags(tmp_path):
    _jsonl(tmp_path / "custom.jsonl", [{"dialog": [
        {"speaker": "me", "text": "hi"}, {"speaker": "bot", "text": "hello"}], "sys": "S"}])  # fmt: skip
    _jsonl(tmp_path / "alp.jsonl", [{"q": "Q", "ctx": "C", "a": "A"}])
    (tmp_path / "dataset_info.json").write_text(json.dumps({
        "chat": {"file_name": "custom.jsonl", "formatting": "sharegpt",
                 "columns": {"messages": "dialog", "system": "sys"},
                 "tags": {"role_tag": "speaker", "content_tag": "text", "user_tag": "me", "assistant_tag": "bot"}},
        "alp": {"file_name": "alp.jsonl", "columns": {"prompt": "q", "query": "ctx", "response": "a"}},
    }, indent=2), encoding="utf-8")  # fmt: skip
    chat = load_dataset(tmp_path, dataset="chat")
    assert _roles(chat.conversations[0]) == [
        ("system", "S", ""),
        ("user", "hi", ""),
        ("assistant", "hello", ""),
    ]
    alp = load_dataset(tmp_path / "dataset_info.json", dataset="alp")
    assert _roles(alp.conversations[0]) == [("user", "Q\nC", ""), ("assistant", "A", "")]
    with pytest.raises(DatasetError, match="choose one with --dataset"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetError, match="no dataset named 'nope'"):
        load_dataset(tmp_path, dataset="nope")


def test_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('instruction,input,output\nsay hi,,hi\n"multi\nline",x,y\n', encoding="utf-8")
    data = load_dataset(path)
    assert [c.messages[-1].content for c in data.conversations] == ["hi", "y"]
    assert [c.line for c in data.conversations] == [2, 4]


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("broken.jsonl", '{"instruction": "a", "output": "b"}\n{"instruction": "a", "output": \n', 2, "broken JSON"),
        ("order.jsonl", json.dumps({"messages": [{"role": "user", "content": "a"},
                                                 {"role": "user", "content": "b"},
                                                 {"role": "assistant", "content": "c"}]}) + "\n", 1, "wrong role order"),
        ("nocol.jsonl", '{"instruction": "a", "output": "b"}\n\n{"instruction": "only"}\n', 3, "missing column 'output'"),
        ("empty.jsonl", "\n  \n", 1, "the file is empty"),
        ("array.json", '[\n {"instruction": "a", "output": "b"},\n {"instruction": "a" "output": "b"}\n]', 3, "broken JSON"),
        ("ends_user.jsonl", json.dumps({"conversations": [{"from": "human", "value": "q"}]}) + "\n", 1, "ends with a user"),
    ],
)  # fmt: skip
def test_malformed_files_name_file_and_line(tmp_path, name, text, line, message):
    path = tmp_path / "坏 数据" / name
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    first = info.value.issues[0]
    assert (first.file, first.line) == (str(path), line)
    assert message in first.message
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_skip_invalid_lists_every_skipped_row(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"instruction": "a", "output": "b"}\nnot json\n{"instruction": "c"}\n'
                    '{"instruction": "d", "output": "e"}\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert [i.line for i in info.value.issues] == [2, 3]
    data = load_dataset(path, skip_invalid=True)
    assert [c.line for c in data.conversations] == [1, 4]
    assert [(i.line, i.message.split(":")[0]) for i in data.skipped] == [
        (2, "broken JSON"),
        (3, "missing column 'output'"),
    ]


def test_fingerprint_changes_with_content(tmp_path):
    path = _jsonl(tmp_path / "a.jsonl", [{"instruction": "a", "output": "b"}])
    first = load_dataset(path).fingerprint
    _jsonl(path, [{"instruction": "a", "output": "c"}])
    assert load_dataset(path).fingerprint != first
