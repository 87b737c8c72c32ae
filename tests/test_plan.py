"""Planning a run over several sources: shares by length, chunks within one source, provenance."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_server import FakeLLMServer
from hypothesis import given
from hypothesis import strategies as st

from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation import Generator, RunConfig
from qagen_desktop.core.generation.plan import plan_run, source_chunks
from qagen_desktop.core.sources import Mark, Source, SourceKind

SENTENCE = "The survey measured the sediment at every marked station along the bank. "


def doc(name: str, chars: int, kind: SourceKind = SourceKind.TEXT) -> Source:
    """A document of about ``chars`` characters, in paragraphs of a few sentences."""
    paragraphs, text = [], ""
    while len(text) < chars:
        paragraphs.append(SENTENCE * 3)
        text = "\n\n".join(paragraphs)
    return Source(name=name, path=Path(name), kind=kind, text=text)


def paged(name: str, pages: int) -> Source:
    """A PDF-like source: one paragraph per page, with a page mark where each starts."""
    parts, marks, offset = [], [], 0
    for page in range(1, pages + 1):
        body = f"Page {page} says: " + SENTENCE * 6
        marks.append(Mark(offset, f"p. {page}", page))
        parts.append(body)
        offset += len(body) + 2
    text = "\n\n".join(parts)
    return Source(name, Path(name), SourceKind.PDF, text, pages=pages, sections=tuple(marks))


def shares_by_document(plan: list[tuple[object, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for chunk, owed in plan:
        totals[chunk.document] = totals.get(chunk.document, 0) + owed  # type: ignore[attr-defined]
    return totals


def test_pairs_are_spread_over_sources_by_length() -> None:
    sources = [doc("long.txt", 6000), doc("short.txt", 2000)]
    plan = plan_run(sources, 8, 1000)
    assert sum(owed for _, owed in plan) == 8
    assert shares_by_document(plan) == {"long.txt": 6, "short.txt": 2}


def test_every_source_gets_a_pair_when_there_are_enough() -> None:
    sources = [doc("huge.txt", 30000), doc("tiny.txt", 250), doc("small.txt", 400)]
    plan = plan_run(sources, 3, 3000)
    assert shares_by_document(plan) == {"huge.txt": 1, "tiny.txt": 1, "small.txt": 1}


def test_fewer_pairs_than_sources_are_spread_evenly_over_them() -> None:
    sources = [doc(f"d{i}.txt", 500) for i in range(6)]
    plan = plan_run(sources, 2, 3000)
    assert sum(owed for _, owed in plan) == 2
    assert sorted(shares_by_document(plan)) == ["d1.txt", "d4.txt"]


def test_a_chunk_never_spans_two_sources_and_indices_count_over_the_run() -> None:
    sources = [doc("a.txt", 2500), doc("b.txt", 2500)]
    plan = plan_run(sources, 40, 1000)
    indices = [chunk.index for chunk, _ in plan]
    assert indices == sorted(set(indices))
    for chunk, _ in plan:
        source = next(s for s in sources if s.name == chunk.document)
        assert source.text[chunk.start : chunk.start + len(chunk.text)] == chunk.text
    per_source = [source_chunks(s, 1000) for s in sources]
    assert {c.index for c, _ in plan} == set(range(sum(len(c) for c in per_source)))


def test_each_chunk_knows_the_page_it_starts_on() -> None:
    source = paged("manual.pdf", 5)
    chunks = source_chunks(source, 600)
    assert [chunk.page for chunk in chunks] == [1, 2, 3, 4, 5]
    assert all(chunk.text.lstrip().startswith(f"Page {chunk.page} ") for chunk in chunks)


def test_a_source_with_no_text_gets_nothing_and_no_text_at_all_is_refused() -> None:
    plan = plan_run([Source.pasted("  \n"), doc("a.txt", 900)], 3, 3000)
    assert shares_by_document(plan) == {"a.txt": 3}
    with pytest.raises(ConfigError, match="context is empty"):
        plan_run([Source.pasted(" \n\t")], 3, 3000)


@given(
    lengths=st.lists(st.integers(min_value=1, max_value=4000), min_size=1, max_size=6),
    total=st.integers(min_value=1, max_value=60),
)
def test_shares_always_sum_to_the_total(lengths: list[int], total: int) -> None:
    sources = [Source(f"s{i}", None, SourceKind.TEXT, "word " * n) for i, n in enumerate(lengths)]
    plan = plan_run(sources, total, 500)
    assert sum(owed for _, owed in plan) == total
    assert all(owed >= 1 for _, owed in plan)
    if total >= len(sources):
        assert set(shares_by_document(plan)) == {s.name for s in sources}


def test_a_run_over_two_sources_gives_pairs_that_name_their_source_and_page(
    server: FakeLLMServer,
) -> None:
    config = RunConfig(endpoint=Endpoint(url=server.chat_url, model="m"), total_pairs=6)
    sources = [paged("manual.pdf", 3), doc("notes.txt", 1200)]
    result = Generator(config).run(sources)
    assert len(result.pairs) == 6, result.failed
    assert {pair.document for pair in result.pairs} == {"manual.pdf", "notes.txt"}
    for pair in result.pairs:
        if pair.document == "manual.pdf":
            assert pair.page is not None and pair.page >= 1
            assert f"Page {pair.page} says" in pair.source
        else:
            assert pair.page is None
    # The pairs come back in run order: the first source's chunks first.
    documents = [pair.document for pair in result.pairs]
    assert documents == sorted(documents, key=lambda name: name != "manual.pdf")


def test_a_text_is_still_one_pasted_source(server: FakeLLMServer) -> None:
    config = RunConfig(endpoint=Endpoint(url=server.chat_url, model="m"), total_pairs=2)
    result = Generator(config).run(SENTENCE * 4)
    assert len(result.pairs) == 2
    assert {pair.document for pair in result.pairs} == {"pasted text"}
