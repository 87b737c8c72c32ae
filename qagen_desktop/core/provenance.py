"""A pair's ``meta`` object in a dataset file: where it came from and what was decided about it.

The keys, in the order they are written (absent ones are left out): ``source`` (the document's
name, or "pasted text"), ``page`` (PDF, 1-based) or ``section``, ``chunk`` (its index in the
run), ``status`` (accepted, rejected, edited), ``score`` and ``reason`` (the judge's), and
``rejection`` (why a rejected pair was rejected). Reading a file restores them, so a reviewed
dataset opens as it was saved.
"""

from __future__ import annotations

from typing import Any

from qagen_desktop.core.records import PairStatus, QAPair


def meta_of(pair: QAPair) -> dict[str, Any]:
    """The ``meta`` object written for ``pair``."""
    meta: dict[str, Any] = {}
    if pair.document:
        meta["source"] = pair.document
    if pair.page is not None:
        meta["page"] = pair.page
    elif pair.section:
        meta["section"] = pair.section
    if pair.chunk is not None:
        meta["chunk"] = pair.chunk
    meta["status"] = pair.status.value
    if pair.score is not None:
        meta["score"] = pair.score
    if pair.reason:
        meta["reason"] = pair.reason
    if pair.rejection:
        meta["rejection"] = str(pair.rejection)
    return meta


def apply_meta(pair: QAPair, meta: object) -> None:
    """Restore what a file's ``meta`` object says onto ``pair``; values of the wrong type, and
    keys we do not know, are ignored rather than failing the line (other tools write ``meta``
    objects of their own)."""
    if not isinstance(meta, dict):
        return
    source = meta.get("source")
    if isinstance(source, str):
        pair.document = source
    page = _int(meta.get("page"))
    if page is not None and page >= 1:
        pair.page = page
    section = meta.get("section")
    if isinstance(section, str):
        pair.section = section
    chunk = _int(meta.get("chunk"))
    if chunk is not None and chunk >= 0:
        pair.chunk = chunk
    status = meta.get("status")
    if isinstance(status, str) and status in _STATUSES:
        pair.status = PairStatus(status)
    score = _int(meta.get("score"))
    if score is not None and 1 <= score <= 10:
        pair.score = score
    reason = meta.get("reason")
    if isinstance(reason, str):
        pair.reason = reason
    rejection = meta.get("rejection")
    if isinstance(rejection, str):
        pair.rejection = rejection


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_STATUSES = {status.value for status in PairStatus}
