"""The recovery journal: what a crashed session leaves behind comes back exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qagen_desktop.core import paths
from qagen_desktop.core.journal import FileRef, Journal, find_orphans, read_journal, replay
from qagen_desktop.core.records import QAPair


def _no_base(ref: FileRef) -> list[QAPair]:
    raise AssertionError(f"no base expected, got {ref}")


def _pairs(n: int, source: str = "") -> list[QAPair]:
    return [
        QAPair(f"Question {i}?", f"Answer {i}.", 0 if source else None, source) for i in range(n)
    ]


def test_received_pairs_edits_and_deletions_replay_to_the_same_list(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.record_insert(0, _pairs(5, source="The source chunk."))
    journal.record_set(2, "answer", "A better answer.")
    journal.record_remove(0, 1)
    journal.record_insert(1, [QAPair("Typed by hand?", "Yes.")])
    journal.close()

    assert journal.path is not None
    pairs = replay(read_journal(journal.path).records, _no_base)

    assert [p.question for p in pairs] == [
        "Question 1?",
        "Typed by hand?",
        "Question 2?",
        "Question 3?",
        "Question 4?",
    ]
    assert pairs[2].answer == "A better answer."
    assert pairs[0].source == "The source chunk." and pairs[0].chunk == 0
    assert pairs[1].source == "" and pairs[1].chunk is None


def test_a_source_chunk_is_written_once_however_many_pairs_share_it(tmp_path: Path) -> None:
    source = "x" * 3000
    journal = Journal(tmp_path)
    for _ in range(10):
        journal.record_insert(0, _pairs(10, source=source))
    journal.close()
    assert journal.path is not None
    assert journal.path.read_text(encoding="utf-8").count(source) == 1


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.record_insert(0, _pairs(3))
    journal.close()
    assert journal.path is not None
    with journal.path.open("ab") as handle:
        handle.write(b'{"op":"insert","row":3,"pairs":[["Half a li')

    session = read_journal(journal.path)

    assert len(replay(session.records, _no_base)) == 3
    assert session.skipped_lines == 0


def test_an_opened_dataset_is_recorded_as_a_file_reference_not_copied(tmp_path: Path) -> None:
    dataset = tmp_path / "big.jsonl"
    rows = [{"question": f"Q{i}?", "answer": f"A{i}."} for i in range(2000)]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    loaded = [QAPair(r["question"], r["answer"]) for r in rows]
    journal = Journal(tmp_path / "recovery")
    journal.set_base(FileRef.of(dataset))
    journal.record_set(5, "question", "Edited?")
    journal.close()

    assert journal.path is not None
    assert journal.path.stat().st_size < 1000
    session = read_journal(journal.path)
    assert session.base == FileRef.of(dataset)
    pairs = replay(session.records, lambda ref: [QAPair(p.question, p.answer) for p in loaded])
    assert len(pairs) == 2000 and pairs[5].question == "Edited?"


def test_nothing_is_written_until_something_changes(tmp_path: Path) -> None:
    dataset = tmp_path / "d.jsonl"
    dataset.write_text('{"question": "Q?", "answer": "A."}\n', encoding="utf-8")
    journal = Journal(tmp_path / "recovery")
    journal.set_base(FileRef.of(dataset))
    assert journal.path is None
    assert not (tmp_path / "recovery").exists()


def test_discard_and_a_new_base_remove_the_journal_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.record_insert(0, _pairs(1))
    first = journal.path
    assert first is not None and first.exists()
    journal.set_base(None)
    assert not first.exists()
    journal.record_insert(0, _pairs(1))
    second = journal.path
    assert second is not None and second.exists()
    journal.discard()
    assert not second.exists()


def test_the_journal_of_a_running_session_is_not_offered(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.record_insert(0, _pairs(2))
    assert find_orphans(tmp_path) == []
    journal.close()
    [orphan] = find_orphans(tmp_path)
    assert orphan.path == journal.path


def test_a_journal_without_changes_is_removed_not_offered(tmp_path: Path) -> None:
    empty = tmp_path / "session-20260101-000000-1-0000.jsonl"
    empty.write_text('{"journal": 1, "pid": 1}\n', encoding="utf-8")
    assert find_orphans(tmp_path) == []
    assert not empty.exists()


def test_a_session_killed_with_sigkill_leaves_every_recorded_pair(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from qagen_desktop.core.journal import Journal
        from qagen_desktop.core.records import QAPair
        journal = Journal()
        for i in range(50):
            journal.record_insert(i, [QAPair(f"Q{i}?", f"A{i}.")])
        print("written", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=dict(os.environ)
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"written"
        # Still running: its journal is not offered to another window.
        assert find_orphans() == []
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()

    [orphan] = find_orphans()
    assert orphan.path.parent == paths.recovery_dir()
    pairs = replay(orphan.records, _no_base)
    assert [p.question for p in pairs] == [f"Q{i}?" for i in range(50)]


def test_adopting_a_session_carries_its_changes_into_the_new_journal(tmp_path: Path) -> None:
    old = Journal(tmp_path)
    old.record_insert(0, _pairs(3, source="Chunk text."))
    old.close()
    assert old.path is not None
    [session] = find_orphans(tmp_path)

    new = Journal(tmp_path)
    new.adopt(session)
    session.discard()
    new.record_insert(3, [QAPair("Later?", "Yes.", 0, "Chunk text.")])
    new.close()

    assert new.path is not None
    text = new.path.read_text(encoding="utf-8")
    assert text.count("Chunk text.") == 1
    pairs = replay(read_journal(new.path).records, _no_base)
    assert len(pairs) == 4 and pairs[3].source == "Chunk text."


@pytest.mark.parametrize("column", ["chunk", "source", "key"])
def test_only_question_and_answer_can_be_recorded_as_edits(tmp_path: Path, column: str) -> None:
    with pytest.raises(ValueError):
        Journal(tmp_path).record_set(0, column, "x")


def test_verdicts_and_replaced_pairs_replay_with_their_provenance(tmp_path: Path) -> None:
    from dataclasses import replace as copy_of

    from qagen_desktop.core.records import PairStatus

    journal = Journal(tmp_path)
    judged = QAPair("Q1?", "A1.", 0, "Chunk.", document="a.pdf", page=3, score=8, reason="Good.")
    rejected = QAPair("Q2?", "A2.", 0, "Chunk.", status=PairStatus.REJECTED, rejection="echo")
    journal.record_insert(0, [judged, rejected, QAPair("Q3?", "A3.")])
    journal.record_replace(1, copy_of(rejected, status=PairStatus.ACCEPTED, rejection=""))
    journal.record_replace(2, QAPair("New?", "New.", 1, "Other chunk.", status=PairStatus.EDITED))
    journal.record_replace(9, QAPair("Out of range?", "Ignored."))
    assert journal.path is not None
    records = read_journal(journal.path).records
    assert read_journal(journal.path).has_changes
    pairs = replay(records, lambda ref: [])
    assert pairs == [
        judged,
        copy_of(rejected, status=PairStatus.ACCEPTED, rejection=""),
        QAPair("New?", "New.", 1, "Other chunk.", status=PairStatus.EDITED),
    ]
    # A plain accepted pair carries no meta object: journals stay as small as before.
    insert = next(record for record in records if record["op"] == "insert")
    assert len(insert["pairs"][2]) == 4
    assert sum(record["op"] == "src" for record in records) == 2


def test_a_journal_written_before_verdicts_still_replays(tmp_path: Path) -> None:
    path = tmp_path / "session-old.jsonl"
    lines = [
        {"journal": 1, "app": "qagen-desktop", "pid": 1, "created": 1.0},
        {"op": "src", "id": 0, "text": "Chunk."},
        {"op": "insert", "row": 0, "pairs": [["Q?", "A.", 0, 0], ["Q2?", "A2.", None, None]]},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert replay(read_journal(path).records, lambda ref: []) == [
        QAPair("Q?", "A.", 0, "Chunk."),
        QAPair("Q2?", "A2."),
    ]
