"""The run's inbox: what the generation thread reports reaches the GUI thread in batches, one
notification per batch, with nothing lost, doubled or reordered."""

from __future__ import annotations

import threading

from qagen_desktop.core.client.replies import Usage
from qagen_desktop.core.generation.results import ChunkOutcome
from qagen_desktop.core.records import QAPair
from qagen_desktop.ui.worker import RunInbox


def test_a_burst_of_events_is_one_notification_and_one_batch_in_order() -> None:
    notified: list[int] = []
    inbox = RunInbox(lambda: notified.append(1))
    first, later = [QAPair("Q1?", "A1.")], [QAPair("Q2?", "A2."), QAPair("Q3?", "A3.")]
    failed = ChunkOutcome(index=1, requested=4, error="timed out")

    inbox.started(3)
    inbox.pairs_received(first)
    inbox.chunk_finished(ChunkOutcome(index=0, requested=4, received=1), 1, 3)
    inbox.usage_updated(Usage(total_tokens=10))
    inbox.pairs_received(later)
    inbox.chunk_finished(failed, 2, 3)
    inbox.usage_updated(Usage(total_tokens=25))
    inbox.notice("Retrying in 2 s.")
    first.append(QAPair("Added by the caller afterwards?", "Not in the batch."))

    assert len(notified) == 1
    batch = inbox.take()
    assert batch.chunks_total == 3
    assert [pair.question for pair in batch.pairs] == ["Q1?", "Q2?", "Q3?"]
    assert [(outcome.index, done) for outcome, done, _total in batch.chunks] == [(0, 1), (1, 2)]
    assert batch.usage == Usage(total_tokens=25)  # the latest sum only
    assert batch.notices == ["Retrying in 2 s."]

    empty = inbox.take()
    assert (empty.chunks_total, empty.pairs, empty.chunks, empty.usage) == (None, [], [], None)
    inbox.pairs_received([QAPair("Q4?", "A4.")])
    assert len(notified) == 2  # news after a take notifies again
    assert [pair.question for pair in inbox.take().pairs] == ["Q4?"]


def test_pairs_from_the_run_thread_arrive_once_each_in_order_while_the_gui_takes() -> None:
    notified = threading.Semaphore(0)
    inbox = RunInbox(notified.release)
    count = 2000

    def run() -> None:
        for i in range(count):
            inbox.pairs_received([QAPair(f"Q{i}?", f"A{i}.")])

    thread = threading.Thread(target=run)
    thread.start()
    taken: list[str] = []
    while len(taken) < count:
        assert notified.acquire(timeout=10), "news was left without a notification"
        taken.extend(pair.question for pair in inbox.take().pairs)
    thread.join()

    assert taken == [f"Q{i}?" for i in range(count)]
    # Each notification was answered by a take; none was left waiting.
    assert not notified.acquire(blocking=False)
