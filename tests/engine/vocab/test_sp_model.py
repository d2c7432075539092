"""Our protobuf reader agrees with sentencepiece's own on real tokenizer.model files."""

from __future__ import annotations

import pytest

from engine.convert.vocab.sp_model import parse_sentencepiece_model


@pytest.mark.parametrize("family", ["mistral", "gemma2", "phi3"])
def test_reader_matches_sentencepiece_protobuf(tokenizer_folders, family):
    pb = pytest.importorskip("sentencepiece.sentencepiece_model_pb2")
    data = (tokenizer_folders(family) / "tokenizer.model").read_bytes()
    ref = pb.ModelProto()
    ref.ParseFromString(data)
    ours = parse_sentencepiece_model(data)
    assert [(p.piece, p.score, p.type) for p in ours.pieces] == [
        (p.piece, p.score, p.type) for p in ref.pieces
    ]
    t, n = ref.trainer_spec, ref.normalizer_spec
    assert (ours.unk_id, ours.bos_id, ours.eos_id, ours.pad_id) == (
        t.unk_id,
        t.bos_id,
        t.eos_id,
        t.pad_id,
    )
    assert ours.model_type == "bpe" and ours.byte_fallback is t.byte_fallback is True
    assert (ours.add_dummy_prefix, ours.remove_extra_whitespaces) == (
        n.add_dummy_prefix,
        n.remove_extra_whitespaces,
    )
    assert ours.normalizer_name == n.name


def test_negative_ids_and_defaults():
    # pieces { piece: "a" score: 0.5 } trainer_spec { model_type: BPE pad_id: -1 }
    piece = b"\x0a\x01a" + b"\x15" + (0.5).hex().encode()[:0] + bytes.fromhex("0000003f")
    data = b"\x0a" + bytes([len(piece)]) + piece
    trainer = b"\x18\x02" + b"\xd8\x02" + b"\xff" * 9 + b"\x01"  # field 43 (pad_id) = -1
    data += b"\x12" + bytes([len(trainer)]) + trainer
    model = parse_sentencepiece_model(data)
    assert (
        model.pieces[0].piece == "a" and model.pieces[0].score == 0.5 and model.pieces[0].type == 1
    )
    assert model.model_type == "bpe" and model.pad_id == -1 and model.bos_id == 1
    assert model.add_dummy_prefix is True  # protobuf default when the spec is absent


def test_garbage_is_rejected():
    with pytest.raises(ValueError):
        parse_sentencepiece_model(b"\x0a\xff\xff")
