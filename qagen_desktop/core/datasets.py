"""Dataset files: JSONL in four formats, written atomically and read back with format detection.

Every line is ``json.dumps(record, ensure_ascii=False)`` plus ``"\\n"``, so a file we wrote,
opened and saved again with the same options, comes out byte for byte the same.
"""

from __future__ import annotations

import codecs
import errno
import gc
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any

from qagen_desktop.core.atomicfile import atomic_write_chunks
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.provenance import apply_meta, meta_of
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.settings import FORMATS

__all__ = [
    "FORMATS",
    "BadLine",
    "DatasetError",
    "LoadedDataset",
    "encode_lines",
    "load_dataset",
    "save_dataset",
    "to_record",
]

# Lines are joined into blocks of about this many characters before each write.
_WRITE_BLOCK = 1 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")


class DatasetError(ConfigError):
    """A dataset file that cannot be read or written; the message names the file and the fix."""


@dataclass
class BadLine:
    """A line that was skipped on opening, by its 1-based number, and why."""

    line_no: int
    reason: str


@dataclass
class LoadedDataset:
    """What a file held: the pairs, its format and the export options it was written with.

    ``dropped_fields`` names record keys outside the format that were not kept (an ``id``, say).
    """

    pairs: list[QAPair]
    format: str
    bad_lines: list[BadLine]
    include_context: bool
    system_message: str
    dropped_fields: list[str] = field(default_factory=list)
    include_meta: bool = False


# ------------------------------------------------------------------------------- writing


def to_record(
    pair: QAPair,
    fmt: str = "qa",
    *,
    include_context: bool = False,
    system_message: str = "",
    include_meta: bool = False,
) -> dict[str, Any]:
    """The JSON object for one pair in format ``fmt``; ``meta`` last (see core.provenance)."""
    if fmt == "qa":
        record: dict[str, Any] = {"question": pair.question, "answer": pair.answer}
    elif fmt == "openai-chat":
        messages = [{"role": "system", "content": system_message}] if system_message else []
        messages.append({"role": "user", "content": pair.question})
        messages.append({"role": "assistant", "content": pair.answer})
        record = {"messages": messages}
    elif fmt == "alpaca":
        # Alpaca's own field for the material a question is about takes the context.
        source = pair.source if include_context else ""
        record = {"instruction": pair.question, "input": source, "output": pair.answer}
        if include_meta:  # alpaca has no context key: the meta object still comes last
            record["meta"] = meta_of(pair)
        return record
    elif fmt == "sharegpt":
        turns = [{"from": "system", "value": system_message}] if system_message else []
        turns.append({"from": "human", "value": pair.question})
        turns.append({"from": "gpt", "value": pair.answer})
        record = {"conversations": turns}
    else:
        raise DatasetError(_unknown_format(fmt))
    if include_context:
        record["context"] = pair.source
    if include_meta:
        record["meta"] = meta_of(pair)
    return record


def encode_lines(
    pairs: Iterable[QAPair],
    fmt: str = "qa",
    *,
    include_context: bool = False,
    system_message: str = "",
    include_meta: bool = False,
) -> Iterator[bytes]:
    """One UTF-8 ``b'{...}\\n'`` per pair: ``json.dumps(to_record(...), ensure_ascii=False)``."""
    line = _line_format(fmt, include_context, system_message, include_meta)
    for pair in pairs:
        yield _utf8(line(pair))


def save_dataset(
    path: str | os.PathLike[str],
    pairs: Iterable[QAPair],
    fmt: str = "qa",
    *,
    include_context: bool = False,
    system_message: str = "",
    include_meta: bool = False,
) -> None:
    """Write the dataset to ``path`` atomically: the old file stays whole until the new one is.

    Raises DatasetError, naming the file and the reason, when it cannot be written.
    """
    line = _line_format(fmt, include_context, system_message, include_meta)
    try:
        atomic_write_chunks(path, _blocks(map(line, pairs)))
    except OSError as error:
        reason = _reason(error, writing=True)
        raise DatasetError(f"Cannot save {os.fspath(path)}: {reason}") from None


def _line_format(
    fmt: str, include_context: bool, system_message: str, include_meta: bool = False
) -> Callable[[QAPair], str]:
    """A function giving a pair's line exactly as ``json.dumps(to_record(...))`` would, built
    from string pieces: twice as fast as the general encoder on large datasets. Lines with a
    ``meta`` object take the general encoder."""
    if fmt not in _KNOWN_KEYS:
        raise DatasetError(_unknown_format(fmt))
    if include_meta:
        return lambda p: (
            json.dumps(
                to_record(p, fmt, include_context=include_context,
                          system_message=system_message, include_meta=True),
                ensure_ascii=False,
            )
            + "\n"
        )  # fmt: skip
    enc = encode_basestring
    context = ', "context": ' if include_context else ""
    if fmt == "qa":
        if include_context:
            return lambda p: (
                '{"question": ' + enc(p.question) + ', "answer": ' + enc(p.answer)
                + context + enc(p.source) + "}\n"
            )  # fmt: skip
        return lambda p: '{"question": ' + enc(p.question) + ', "answer": ' + enc(p.answer) + "}\n"
    if fmt == "alpaca":
        if include_context:
            return lambda p: (
                '{"instruction": ' + enc(p.question) + ', "input": ' + enc(p.source)
                + ', "output": ' + enc(p.answer) + "}\n"
            )  # fmt: skip
        return lambda p: (
            '{"instruction": ' + enc(p.question) + ', "input": "", "output": ' + enc(p.answer)
            + "}\n"
        )  # fmt: skip
    if fmt == "openai-chat":
        head = '{"messages": ['
        if system_message:
            head += '{"role": "system", "content": ' + enc(system_message) + "}, "
        head += '{"role": "user", "content": '
        middle = '}, {"role": "assistant", "content": '
    elif fmt == "sharegpt":
        head = '{"conversations": ['
        if system_message:
            head += '{"from": "system", "value": ' + enc(system_message) + "}, "
        head += '{"from": "human", "value": '
        middle = '}, {"from": "gpt", "value": '
    else:
        raise DatasetError(_unknown_format(fmt))
    if include_context:
        return lambda p: (
            head + enc(p.question) + middle + enc(p.answer) + "}]" + context + enc(p.source)
            + "}\n"
        )  # fmt: skip
    return lambda p: head + enc(p.question) + middle + enc(p.answer) + "}]}\n"


def _utf8(text: str) -> bytes:
    """UTF-8 bytes of JSON text; a lone surrogate (a model's broken "\\ud83d" escape) is
    written as a JSON escape, since raw it is not UTF-8."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def _blocks(lines: Iterator[str]) -> Iterator[bytes]:
    """Group lines into blocks so a large dataset is a few hundred writes, not one per line."""
    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= _WRITE_BLOCK:
            yield _utf8("".join(block))
            block, size = [], 0
    if block:
        yield _utf8("".join(block))


# ------------------------------------------------------------------------------- reading


class _Skip(Exception):
    """A record that is not a pair in the file's format; the message is the reason shown."""


def load_dataset(path: str | os.PathLike[str]) -> LoadedDataset:
    """Read a JSONL dataset in any of the four formats (detected from its first good record).

    Lines that are not a record of that format are skipped and listed in ``bad_lines``; blank
    lines are ignored. Raises DatasetError when the file cannot be read, is not UTF-8 text, or
    holds no pairs at all.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise DatasetError(f"Cannot open {name}: {_reason(error, writing=False)}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DatasetError(
            f"Cannot open {name}: it is UTF-16 text; save it as UTF-8 and open it again."
        )
    if b"\x00" in data:
        raise DatasetError(f"Cannot open {name}: it is not a UTF-8 text file (binary data).")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    # Only "\n" ends a line (ensure_ascii=False leaves U+2028 and friends raw inside strings).
    # Decoding line by line keeps each line's text compact: one CJK character would make a
    # whole-file string twice the size of the file.
    lines = data.split(b"\n")
    del data
    # The collector would walk every object read so far, again and again, while thousands of
    # records are built; none of them forms a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_lines(lines, name)
    finally:
        if enabled:
            gc.enable()


def _read_lines(lines: list[bytes], name: str) -> LoadedDataset:
    """The pairs of a dataset's lines, skipping and listing bad ones (see load_dataset)."""
    pairs: list[QAPair] = []
    bad_lines: list[BadLine] = []
    fmt = ""
    include_context = False
    include_meta = False
    system_message: str | None = None
    extra_keys: set[str] = set()
    # The C scanner without json.loads' wrapper: a third of the time on a large file.
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__
    for line_no, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DatasetError(
                f"Cannot open {name}: it is not a UTF-8 text file (line {line_no})."
            ) from None
        try:
            record, end = scan(line, 0)
            if end != len(line) and not line[end:].isspace():
                raise ValueError("extra data")
        except (StopIteration, ValueError, RecursionError):
            if not line or line.isspace():
                continue
            try:
                record = json.loads(line)  # leading spaces, which the bare scanner refuses
            except (ValueError, RecursionError):
                bad_lines.append(BadLine(line_no, "not valid JSON"))
                continue
        if type(record) is not dict:
            bad_lines.append(BadLine(line_no, "not a JSON object"))
            continue
        record_fmt = _detect(record)
        if not fmt:
            if record_fmt is None:
                bad_lines.append(BadLine(line_no, _missing_fields(record)))
                continue
            fmt = record_fmt
        elif record_fmt != fmt:
            reason = (
                f"{_named(record_fmt)} record in {_named(fmt)} file"
                if record_fmt
                else _missing_fields(record, fmt)
            )
            bad_lines.append(BadLine(line_no, reason))
            continue
        try:
            pair, system, has_context = _READERS[fmt](record)
        except _Skip as skip:
            bad_lines.append(BadLine(line_no, str(skip)))
            continue
        include_meta = _restore_meta(pair, record) or include_meta
        pairs.append(pair)
        include_context = include_context or has_context
        if system_message is None:
            system_message = system
        if not record.keys() <= _KNOWN_KEYS[fmt]:
            extra_keys.update(record.keys() - _KNOWN_KEYS[fmt])

    if not pairs and bad_lines:
        first = bad_lines[0]
        raise DatasetError(
            f"Cannot open {name}: it holds no question-answer records "
            f"(line {first.line_no}: {first.reason})."
        )
    return LoadedDataset(
        pairs=pairs,
        format=fmt or FORMATS[0],
        bad_lines=bad_lines,
        include_context=include_context,
        system_message=system_message or "",
        dropped_fields=sorted(extra_keys),
        include_meta=include_meta,
    )


def _restore_meta(pair: QAPair, record: dict[str, Any]) -> bool:
    """Apply the record's ``meta`` object, if it has one; True when it had."""
    if "meta" not in record:
        return False
    apply_meta(pair, record["meta"])
    return True


def _detect(record: dict[str, Any]) -> str | None:
    if "messages" in record:
        return "openai-chat"
    if "conversations" in record:
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "question" in record and "answer" in record:
        return "qa"
    return None


def _missing_fields(record: dict[str, Any], fmt: str = "") -> str:
    if fmt == "qa" or (not fmt and ("question" in record or "answer" in record)):
        missing = [k for k in ("question", "answer") if k not in record]
        return f"missing the {' and '.join(missing)} field" if missing else "not a qa record"
    if fmt == "alpaca" or (not fmt and ("instruction" in record or "output" in record)):
        missing = [k for k in ("instruction", "output") if k not in record]
        return f"missing the {' and '.join(missing)} field"
    if fmt == "openai-chat":
        return "missing the messages field"
    if fmt == "sharegpt":
        return "missing the conversations field"
    return "not a question-answer record"


def _string(record: dict[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise _Skip(f"the {key} field is not text")
    return value


def _optional_string(record: dict[str, Any], key: str) -> str:
    """A field that may be absent or null (other tools write ``"input": null``)."""
    return "" if record.get(key) is None else _string(record, key)


def _read_qa(record: dict[str, Any]) -> tuple[QAPair, str, bool]:
    source, has_context = _context(record)
    pair = QAPair(_string(record, "question"), _string(record, "answer"), source=source)
    return pair, "", has_context


def _read_alpaca(record: dict[str, Any]) -> tuple[QAPair, str, bool]:
    source = _optional_string(record, "input")
    return (
        QAPair(_string(record, "instruction"), _string(record, "output"), source=source),
        "",
        bool(source),
    )


def _turns(
    record: dict[str, Any], key: str, role_key: str, text_key: str, roles: tuple[str, str, str]
) -> tuple[str, str, str]:
    """The system message, question and answer of a one-exchange conversation."""
    turns = record[key]
    if type(turns) is not list:
        raise _Skip(f"the {key} field is not a list of messages")
    system_role, user_role, assistant_role = roles
    if len(turns) == 3:
        system = _message(turns[0], role_key, text_key, system_role)
    elif len(turns) == 2:
        system = ""
    else:
        raise _Skip(f"holds {len(turns)} messages; only one question and one answer can be opened")
    question = _message(turns[-2], role_key, text_key, user_role)
    return system, question, _message(turns[-1], role_key, text_key, assistant_role)


def _message(turn: Any, role_key: str, text_key: str, role: str) -> str:
    if type(turn) is not dict or turn.get(role_key) != role:
        raise _Skip(f"expected a {role} message where there is none")
    value = turn.get(text_key)
    if type(value) is not str:
        raise _Skip(f"a {role} message has no text {text_key}")
    return value


def _context(record: dict[str, Any]) -> tuple[str, bool]:
    if "context" not in record:
        return "", False
    return _optional_string(record, "context"), True


def _read_openai_chat(record: dict[str, Any]) -> tuple[QAPair, str, bool]:
    system, question, answer = _turns(
        record, "messages", "role", "content", ("system", "user", "assistant")
    )
    source, has_context = _context(record)
    return QAPair(question, answer, source=source), system, has_context


def _read_sharegpt(record: dict[str, Any]) -> tuple[QAPair, str, bool]:
    system, question, answer = _turns(
        record, "conversations", "from", "value", ("system", "human", "gpt")
    )
    source, has_context = _context(record)
    return QAPair(question, answer, source=source), system, has_context


_READERS = {
    "qa": _read_qa,
    "openai-chat": _read_openai_chat,
    "alpaca": _read_alpaca,
    "sharegpt": _read_sharegpt,
}
_KNOWN_KEYS = {
    "qa": {"question", "answer", "context", "meta"},
    "openai-chat": {"messages", "context", "meta"},
    "alpaca": {"instruction", "input", "output", "meta"},
    "sharegpt": {"conversations", "context", "meta"},
}


def _named(fmt: str) -> str:
    """The format with its article: "an alpaca", "a qa"."""
    return f"an {fmt}" if fmt[0] in "aeio" else f"a {fmt}"


def _unknown_format(fmt: str) -> str:
    return f"Unknown dataset format {fmt!r}; use one of: {', '.join(FORMATS)}."


def _reason(error: OSError, *, writing: bool) -> str:
    """Why a file operation failed, in plain words with the fix."""
    if isinstance(error, FileNotFoundError):
        return "the folder does not exist." if writing else "the file does not exist."
    if isinstance(error, PermissionError):
        return "permission denied; choose another folder or check the file's permissions."
    if isinstance(error, IsADirectoryError):
        return "that is a folder; choose a file name."
    if isinstance(error, NotADirectoryError):
        return "part of the path is a file, not a folder."
    if error.errno == errno.ENOSPC:
        return "the disk is full; free some space and save again."
    if error.errno == errno.EROFS:
        return "the disk is read-only; choose another folder."
    return error.strerror or str(error)
