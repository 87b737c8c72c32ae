"""The zip container that DOCX and EPUB share: members read whole, within a size limit."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from qagen_desktop.core.sources.files import too_big
from qagen_desktop.core.sources.source import SourceError

# Office files saved with a password are not zips but OLE compound files with this signature.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Archive:
    """A DOCX or EPUB opened as a zip; every failure is a SourceError naming the file."""

    def __init__(self, data: bytes, name: str, kind: str, max_bytes: int) -> None:
        self.name = name
        self._kind = kind
        self._max_bytes = max_bytes
        if data.startswith(_OLE_SIGNATURE):
            raise SourceError(f"{name} is encrypted: remove the password first.")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError):
            raise self.damaged() from None
        # The uncompressed sizes are checked before anything is inflated: a small zip can hold
        # gigabytes of XML.
        unpacked = sum(info.file_size for info in self._zip.infolist())
        if unpacked > max_bytes:
            raise too_big(f"{name} (unpacked)", unpacked, max_bytes)

    def damaged(self) -> SourceError:
        """The message for a file whose container or XML is broken or cut off."""
        return SourceError(
            f"{self.name} is damaged or truncated and cannot be read as {self._kind}: "
            "download or export it again."
        )

    def names(self) -> set[str]:
        """The members' paths inside the zip."""
        return set(self._zip.namelist())

    def read(self, member: str) -> bytes:
        """A member's bytes; a missing or corrupt member means a damaged file."""
        try:
            return self._zip.read(member)
        except (KeyError, zipfile.BadZipFile, ValueError, OSError, EOFError):
            raise self.damaged() from None

    def xml(self, member: str) -> ElementTree.Element:
        """A member parsed as XML (expat: no external entities are fetched)."""
        try:
            return ElementTree.fromstring(self.read(member))
        except ElementTree.ParseError:
            raise self.damaged() from None
