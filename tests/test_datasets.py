"""Dataset files: the exact line of each format, reading back with detection, bad lines reported,
byte-identical round trips, plain errors, and saves that never leave a torn file."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qagen_desktop.core.datasets import (
    FORMATS,
    BadLine,
    DatasetError,
    encode_lines,
    load_dataset,
    save_dataset,
    to_record,
)
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import FORMATS as SETTINGS_FORMATS

PAIR = QAPair("Où est la cellule ?", 'Dans le "noyau".\nVoilà.', chunk=2, source="Texte 細胞")
SYSTEM = "Answer from the text."


def _line(fmt: str, **options: object) -> str:
    lines = list(encode_lines([PAIR], fmt, **options))  # type: ignore[arg-type]
    assert len(lines) == 1
    return lines[0].decode("utf-8")


# ------------------------------------------------------------------------- exact lines


def test_formats_are_the_settings_formats() -> None:
    assert FORMATS == SETTINGS_FORMATS == ("qa", "openai-chat", "alpaca", "sharegpt")


def test_qa_line() -> None:
    assert _line("qa") == (
        '{"question": "Où est la cellule ?", "answer": "Dans le \\"noyau\\".\\nVoilà."}\n'
    )


def test_qa_line_with_context() -> None:
    assert _line("qa", include_context=True) == (
        '{"question": "Où est la cellule ?", "answer": "Dans le \\"noyau\\".\\nVoilà.", '
        '"context": "Texte 細胞"}\n'
    )


def test_openai_chat_line() -> None:
    assert _line("openai-chat") == (
        '{"messages": [{"role": "user", "content": "Où est la cellule ?"}, '
        '{"role": "assistant", "content": "Dans le \\"noyau\\".\\nVoilà."}]}\n'
    )


def test_openai_chat_line_with_system_message_first_and_context() -> None:
    assert _line("openai-chat", include_context=True, system_message=SYSTEM) == (
        '{"messages": [{"role": "system", "content": "Answer from the text."}, '
        '{"role": "user", "content": "Où est la cellule ?"}, '
        '{"role": "assistant", "content": "Dans le \\"noyau\\".\\nVoilà."}], '
        '"context": "Texte 細胞"}\n'
    )


def test_alpaca_line_has_an_empty_input() -> None:
    assert _line("alpaca", system_message=SYSTEM) == (
        '{"instruction": "Où est la cellule ?", "input": "", '
        '"output": "Dans le \\"noyau\\".\\nVoilà."}\n'
    )


def test_alpaca_line_with_context_puts_it_in_input() -> None:
    assert _line("alpaca", include_context=True) == (
        '{"instruction": "Où est la cellule ?", "input": "Texte 細胞", '
        '"output": "Dans le \\"noyau\\".\\nVoilà."}\n'
    )


def test_sharegpt_line() -> None:
    assert _line("sharegpt") == (
        '{"conversations": [{"from": "human", "value": "Où est la cellule ?"}, '
        '{"from": "gpt", "value": "Dans le \\"noyau\\".\\nVoilà."}]}\n'
    )


def test_sharegpt_line_with_system_message_first_and_context() -> None:
    assert _line("sharegpt", include_context=True, system_message=SYSTEM) == (
        '{"conversations": [{"from": "system", "value": "Answer from the text."}, '
        '{"from": "human", "value": "Où est la cellule ?"}, '
        '{"from": "gpt", "value": "Dans le \\"noyau\\".\\nVoilà."}], "context": "Texte 細胞"}\n'
    )


def test_qa_ignores_the_system_message() -> None:
    assert _line("qa", system_message=SYSTEM) == _line("qa")


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
_PAIRS = st.lists(
    st.builds(QAPair, question=_TEXT, answer=_TEXT, source=_TEXT), min_size=1, max_size=5
)


@settings(max_examples=200, deadline=None)
@given(
    pairs=_PAIRS,
    fmt=st.sampled_from(FORMATS),
    include_context=st.booleans(),
    system_message=_TEXT,
)
def test_every_line_is_json_dumps_of_its_record(
    pairs: list[QAPair], fmt: str, include_context: bool, system_message: str
) -> None:
    options = {"include_context": include_context, "system_message": system_message}
    lines = list(encode_lines(pairs, fmt, **options))  # type: ignore[arg-type]
    expected = [
        (json.dumps(to_record(p, fmt, **options), ensure_ascii=False) + "\n").encode()  # type: ignore[arg-type]
        for p in pairs
    ]
    assert lines == expected


def test_unknown_format_is_a_plain_error() -> None:
    with pytest.raises(DatasetError, match="use one of: qa, openai-chat, alpaca, sharegpt"):
        to_record(PAIR, "csv")
    with pytest.raises(DatasetError, match="Unknown dataset format 'csv'"):
        list(encode_lines([PAIR], "csv"))


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("include_context", [False, True])
@pytest.mark.parametrize("system_message", ["", SYSTEM])
def test_round_trip_is_byte_identical(
    tmp_path: Path, fmt: str, include_context: bool, system_message: str
) -> None:
    pairs = [
        PAIR,
        QAPair("Line\u2028separator and tab\t?", "Emoji 🧬 and NUL-free \\ backslash", source=""),
        QAPair("  spaced  ", "", source="ctx\r\nwith CRLF"),
    ]
    path = tmp_path / "data.jsonl"
    save_dataset(path, pairs, fmt, include_context=include_context, system_message=system_message)
    written = path.read_bytes()
    loaded = load_dataset(path)
    assert loaded.format == fmt
    assert loaded.bad_lines == []
    assert [(p.question, p.answer) for p in loaded.pairs] == [(p.question, p.answer) for p in pairs]
    if include_context:
        assert [p.source for p in loaded.pairs] == [p.source for p in pairs]
    assert loaded.include_context == include_context
    assert loaded.system_message == (system_message if fmt in ("openai-chat", "sharegpt") else "")
    save_dataset(
        path,
        loaded.pairs,
        loaded.format,
        include_context=loaded.include_context,
        system_message=loaded.system_message,
    )
    assert path.read_bytes() == written


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=_PAIRS, fmt=st.sampled_from(FORMATS), include_context=st.booleans())
def test_round_trip_of_arbitrary_text_is_byte_identical(
    tmp_path: Path, pairs: list[QAPair], fmt: str, include_context: bool
) -> None:
    path = tmp_path / "any.jsonl"
    save_dataset(path, pairs, fmt, include_context=include_context)
    written = path.read_bytes()
    loaded = load_dataset(path)
    assert len(loaded.pairs) == len(pairs)
    save_dataset(path, loaded.pairs, loaded.format, include_context=loaded.include_context)
    assert path.read_bytes() == written


def test_lone_surrogate_from_a_broken_escape_is_saved_as_valid_utf8(tmp_path: Path) -> None:
    pairs = [QAPair("Broken emoji \ud83d?", "Yes \udc00.")]
    path = tmp_path / "s.jsonl"
    save_dataset(path, pairs)
    written = path.read_bytes()
    written.decode("utf-8")  # valid UTF-8: the surrogates are JSON escapes
    assert b"\\ud83d" in written
    loaded = load_dataset(path)
    assert (loaded.pairs[0].question, loaded.pairs[0].answer) == (pairs[0].question, "Yes \udc00.")
    save_dataset(path, loaded.pairs)
    assert path.read_bytes() == written


def test_save_writes_an_empty_file_for_no_pairs(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    save_dataset(path, [])
    assert path.read_bytes() == b""
    loaded = load_dataset(path)
    assert (loaded.pairs, loaded.format, loaded.bad_lines) == ([], "qa", [])


# ----------------------------------------------------------------------- reading files


def _write(tmp_path: Path, text: str | bytes, name: str = "in.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_files_written_by_other_tools_are_detected(tmp_path: Path) -> None:
    chat = _write(
        tmp_path,
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Q1"},
                    {"role": "assistant", "content": "A1"},
                ]
            },
            indent=None,
            separators=(",", ":"),
        )
        + "\n",
    )
    loaded = load_dataset(chat)
    assert loaded.format == "openai-chat"
    assert loaded.system_message == "Be brief."
    assert [(p.question, p.answer) for p in loaded.pairs] == [("Q1", "A1")]

    alpaca = _write(
        tmp_path,
        '{"instruction":"Q","output":"A"}\n{"instruction":"Q2","input":"C","output":"A2"}\n',
    )
    loaded = load_dataset(alpaca)
    assert loaded.format == "alpaca"
    assert loaded.include_context
    assert [(p.question, p.answer, p.source) for p in loaded.pairs] == [
        ("Q", "A", ""),
        ("Q2", "A2", "C"),
    ]


def test_bad_lines_are_reported_by_number_and_good_lines_kept(tmp_path: Path) -> None:
    lines = [
        '{"question": "Q1", "answer": "A1"}',  # 1
        "",  # 2: blank, ignored
        "not json at all",  # 3
        '["a", "list"]',  # 4
        '{"question": "Q only"}',  # 5
        '{"instruction": "Q", "input": "", "output": "A"}',  # 6: another format
        '{"question": 5, "answer": "A"}',  # 7
        '{"question": "Q2", "answer": "A2"}',  # 8
        '{"question": "Q3", "answer": "A3"',  # 9: torn
        "   ",  # 10: blank
        '{"question": "Q4", "answer": "A4"}',  # 11
    ]
    loaded = load_dataset(_write(tmp_path, "\n".join(lines) + "\n"))
    assert loaded.format == "qa"
    assert [p.question for p in loaded.pairs] == ["Q1", "Q2", "Q4"]
    assert loaded.bad_lines == [
        BadLine(3, "not valid JSON"),
        BadLine(4, "not a JSON object"),
        BadLine(5, "missing the answer field"),
        BadLine(6, "an alpaca record in a qa file"),
        BadLine(7, "the question field is not text"),
        BadLine(9, "not valid JSON"),
    ]


def test_conversations_that_are_not_one_exchange_are_reported(tmp_path: Path) -> None:
    def chat(*turns: tuple[str, object]) -> str:
        return json.dumps({"messages": [{"role": r, "content": c} for r, c in turns]})

    lines = [
        chat(("user", "Q1"), ("assistant", "A1")),
        chat(("user", "Q"), ("assistant", "A"), ("user", "Q again"), ("assistant", "A again")),
        chat(("assistant", "A"), ("user", "Q")),
        chat(("user", "Q"), ("assistant", None)),
        json.dumps({"messages": "text"}),
        json.dumps(
            {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
        ),
    ]
    loaded = load_dataset(_write(tmp_path, "\n".join(lines)))
    assert [p.question for p in loaded.pairs] == ["Q1"]
    assert [b.line_no for b in loaded.bad_lines] == [2, 3, 4, 5, 6]
    assert "4 messages" in loaded.bad_lines[0].reason
    assert loaded.bad_lines[4].reason == "a sharegpt record in an openai-chat file"


def test_format_comes_from_the_first_good_record(tmp_path: Path) -> None:
    text = (
        "garbage\n"
        '{"x": 1}\n'
        '{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}\n'
        '{"question": "Q", "answer": "A"}\n'
    )
    loaded = load_dataset(_write(tmp_path, text))
    assert loaded.format == "sharegpt"
    assert [b.line_no for b in loaded.bad_lines] == [1, 2, 4]
    assert loaded.bad_lines[1].reason == "not a question-answer record"


def test_bom_crlf_and_unicode_line_separators_are_read(tmp_path: Path) -> None:
    text = (
        '\ufeff{"question": "Q1\u2028still Q1", "answer": "A1"}\r\n'
        "\r\n"
        '  {"question": "Q2", "answer": "A2"}\r\n'
    )
    loaded = load_dataset(_write(tmp_path, text))
    assert [(p.question, p.answer) for p in loaded.pairs] == [
        ("Q1\u2028still Q1", "A1"),
        ("Q2", "A2"),
    ]
    assert loaded.bad_lines == []


def test_a_last_line_without_newline_is_read(tmp_path: Path) -> None:
    loaded = load_dataset(_write(tmp_path, '{"question": "Q", "answer": "A"}'))
    assert len(loaded.pairs) == 1


def test_fields_outside_the_format_are_named(tmp_path: Path) -> None:
    text = (
        '{"id": 1, "question": "Q", "answer": "A", "tags": []}\n'
        '{"question": "Q2", "answer": "A2"}\n'
    )
    loaded = load_dataset(_write(tmp_path, text))
    assert loaded.dropped_fields == ["id", "tags"]
    assert len(loaded.pairs) == 2


def test_null_context_or_input_from_other_tools_is_empty_not_an_error(tmp_path: Path) -> None:
    text = (
        '{"question": "Q", "answer": "A", "context": null}\n'
        '{"question": "Q2", "answer": "A2", "context": 7}\n'
    )
    loaded = load_dataset(_write(tmp_path, text))
    assert [(p.question, p.source) for p in loaded.pairs] == [("Q", "")]
    assert loaded.bad_lines == [BadLine(2, "the context field is not text")]
    loaded = load_dataset(_write(tmp_path, '{"instruction": "Q", "input": null, "output": "A"}'))
    assert [(p.question, p.answer, p.source) for p in loaded.pairs] == [("Q", "A", "")]


def test_context_key_is_read_into_the_source(tmp_path: Path) -> None:
    text = '{"question": "Q", "answer": "A", "context": "The source chunk."}\n'
    loaded = load_dataset(_write(tmp_path, text))
    assert loaded.include_context
    assert loaded.pairs[0].source == "The source chunk."
    assert loaded.pairs[0].chunk is None


# ------------------------------------------------------------------------------ errors


def test_dataset_error_is_a_config_error() -> None:
    assert issubclass(DatasetError, ConfigError)


def test_missing_file_is_a_plain_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(DatasetError, match=r"nope\.jsonl: the file does not exist\."):
        load_dataset(path)


def test_folder_instead_of_file_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"that is a folder"):
        load_dataset(tmp_path)


@pytest.mark.parametrize(
    "data",
    [
        b'{"question": "Q", "answer": "A"}\n\x00\x01\x02binary',
        '{"question": "Caf\xe9", "answer": "A"}\n'.encode("latin-1"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
    ids=["nul", "latin-1", "png"],
)
def test_binary_or_non_utf8_file_is_refused_plainly(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(DatasetError, match="not a UTF-8 text file"):
        load_dataset(_write(tmp_path, data))


def test_utf16_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"question": "Q", "answer": "A"}\n'.encode("utf-16"))
    with pytest.raises(DatasetError, match="it is UTF-16 text; save it as UTF-8"):
        load_dataset(path)


def test_a_file_with_no_records_at_all_is_an_error_naming_the_first_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "name,age\nBob,42\n", "people.csv")
    with pytest.raises(
        DatasetError,
        match=r"people.csv: it holds no question-answer records \(line 1: not valid JSON\)",
    ):
        load_dataset(path)


def test_saving_into_a_missing_folder_names_the_path_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "out.jsonl"
    with pytest.raises(DatasetError) as caught:
        save_dataset(path, [PAIR])
    assert str(caught.value) == f"Cannot save {path}: the folder does not exist."


def test_saving_where_a_folder_is_a_file_names_the_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        save_dataset(tmp_path / "file" / "out.jsonl", [PAIR])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_saving_into_a_read_only_folder_says_permission_denied(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DatasetError, match="permission denied"):
            save_dataset(folder / "out.jsonl", [PAIR])
    finally:
        folder.chmod(0o700)


def test_a_save_that_fails_midway_leaves_the_old_file_intact(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    save_dataset(path, [PAIR] * 10)
    old = path.read_bytes()

    def failing_pairs():  # type: ignore[no-untyped-def]
        for n in range(100_000):
            if n == 50_000:
                raise RuntimeError("encoder failed")
            yield QAPair(f"Question {n}?", "An answer long enough to fill a few blocks. " * 3)

    with pytest.raises(RuntimeError, match="encoder failed"):
        save_dataset(path, failing_pairs())
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]  # no temporary file left


def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    save_dataset(path, [PAIR])
    path.chmod(0o640)
    save_dataset(path, [PAIR, PAIR])
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied; choose another"),
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
        (OSError(errno.EROFS, "Read-only file system"), "the disk is read-only"),
    ],
)
def test_write_failures_are_explained_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, reason: str
) -> None:
    def fail(path: object, chunks: object) -> None:
        raise error

    monkeypatch.setattr("qagen_desktop.core.datasets.atomic_write_chunks", fail)
    path = tmp_path / "out.jsonl"
    with pytest.raises(DatasetError, match=re.escape(f"Cannot save {path}: {reason}")):
        save_dataset(path, [PAIR])
