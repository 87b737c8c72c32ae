"""Marks and locate, for any blocks: every mark points at its own text, and locate agrees."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qagen_desktop.core.sources import Source, SourceKind
from qagen_desktop.core.sources.source import TextBuilder

words = st.text(alphabet="abc xyz\n\t\x07\u00ad.", min_size=0, max_size=30)
blocks = st.lists(
    st.tuples(st.sampled_from(["page", "heading", "block", "tight"]), words), max_size=30
)


@given(blocks)
def test_marks_point_at_their_text_and_locate_finds_them(steps: list[tuple[str, str]]) -> None:
    builder = TextBuilder()
    page = 0
    for kind, text in steps:
        if kind == "page":
            page += 1
            builder.mark(f"p. {page}", page=page)
            builder.block(text)
        elif kind == "heading":
            builder.heading(text)
        else:
            builder.block(text, tight=kind == "tight")
    text, marks = builder.build()
    assert [m.offset for m in marks] == sorted(m.offset for m in marks)
    assert "\x07" not in text and "\u00ad" not in text
    source = Source("x", None, SourceKind.PDF, text, pages=page or None, sections=marks)
    for mark in marks:
        assert 0 <= mark.offset <= len(text)
        if mark.page is None:
            assert text[mark.offset :].startswith(mark.label)
            assert source.locate(mark.offset).section == mark.label
        else:
            # The last page mark at this offset wins (the pages before it were empty).
            last = max(m.page for m in marks if m.offset == mark.offset and m.page is not None)
            assert source.locate(mark.offset).page == last
