"""A smaller libicudata for the Linux bundle: ICU's data without the parts Qt never reads.

PySide6's Qt links ICU, whose data library (libicudata.so.73) is a single 32 MB table: locale
names, currencies, units, time-zone names, transliterators, break dictionaries and legacy
character-set tables for every language ICU knows. Qt calls only a handful of ICU functions (list
them with ``nm -D --undefined-only libQt6Core.so.6 | grep _73``): case mapping (its tables are
compiled into libicuuc, not read from the data), ``ucol_*`` (QCollator, which Qt's own file
dialog uses to sort names; it reads ``coll/``), ``ucnv_*`` (QStringDecoder for a named legacy
encoding, which the app never asks for: it decodes files in Python, and Qt 6 takes the local 8-bit
encoding on Unix to be UTF-8) and ``ucal_*`` (QTimeZone display names, which the window never
shows). So the bundle keeps the collation data and the small tables every lookup goes through, and
leaves out the rest (see ``DROPPED`` and ``is_dropped``).

The data is ICU's "common data" package (format ``CmnD``): a header, a table of contents of
(name offset, data offset) pairs sorted by name, the names, then the items. ``trim`` rewrites that
package without the dropped items; ``build_library`` wraps it in a shared object with the same
soname and symbol (``icudt73_dat``) using binutils' ``as`` and ``ld``, which PyInstaller already
needs on Linux.

    python packaging/icu_data.py libicudata.so.73 OUT.so   (prints what it kept and dropped)
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Trees of the package that none of Qt's ICU calls opens.
DROPPED_TREES = {
    "brkitr",  # break iterators (Qt has its own text boundaries)
    "curr",  # currency names
    "lang",  # language names (QLocale has its own CLDR tables)
    "rbnf",  # spelled-out numbers
    "region",  # country names
    "translit",  # transliterators
    "unit",  # unit names
    "zone",  # time-zone display names (QTimeZone::displayName; the window shows none)
}
# Single items of the package root that no Qt call reads.
DROPPED_ROOT_SUFFIXES = (
    ".cnv",  # legacy character-set tables (ucnv_open by name; the app asks for none)
    ".spp",  # StringPrep profiles (IDNA: Qt has its own)
    ".brk",
    ".dict",
)
DROPPED_ROOT_NAMES = {
    "unames.icu",  # character names (u_charName)
    "nfkc.nrm",  # compatibility normalisation: collation uses NFC, compiled into libicuuc
    "nfkc_cf.nrm",
    "nfkc_scf.nrm",
    "uts46.nrm",
    "confusables.cfu",  # spoof checks (uspoof_*)
    "uemoji.icu",  # emoji properties (u_hasBinaryProperty; Qt has its own)
    "ulayout.icu",  # Indic layout properties
    "langInfo.res",  # locale matching (LocaleMatcher)
}
# A locale's own data at the root (calendar, number and date formats: ucal and unum), e.g.
# de_CH.res. Collation has its copies under coll/, which stays.
_LOCALE_RES = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")

_HEADER = struct.Struct("<HBB")
_ENTRY = struct.Struct("<II")


def is_dropped(name: str) -> bool:
    """Whether an item (its name without the package prefix, e.g. "coll/de.res") is left out."""
    tree, _, rest = name.partition("/")
    if rest:
        return tree in DROPPED_TREES
    if name == "root.res":
        return False  # every lookup falls back to it
    return (
        name.endswith(DROPPED_ROOT_SUFFIXES)
        or name in DROPPED_ROOT_NAMES
        or bool(_LOCALE_RES.match(name))
    )


def read_items(package: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (full name, data) items of an ICU common data package."""
    header_size, magic1, magic2 = _HEADER.unpack_from(package, 0)
    if (magic1, magic2) != (0xDA, 0x27) or package[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package (CmnD)")
    if package[8] != 0:  # UDataInfo.isBigEndian
        raise ValueError("only little-endian ICU data is handled")
    (count,) = struct.unpack_from("<I", package, header_size)
    entries = [_ENTRY.unpack_from(package, header_size + 4 + 8 * i) for i in range(count)]
    starts = [header_size + data for _, data in entries] + [len(package)]
    items = []
    for index, (name_offset, _) in enumerate(entries):
        start = header_size + name_offset
        name = package[start : package.index(b"\0", start)].decode("ascii")
        items.append((name, package[starts[index] : starts[index + 1]]))
    return package[:header_size], items


def write_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A common data package of these items, in the given (sorted) order, each 16-byte aligned."""
    table_size = 4 + _ENTRY.size * len(items)
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    data_start = table_size + len(names)
    data_start += -data_start % 16
    table, name_offset, data_offset, blob = [], table_size, data_start, bytearray()
    for name, data in items:
        table.append(_ENTRY.pack(name_offset, data_offset))
        name_offset += len(name) + 1
        padded = data + b"\0" * (-len(data) % 16)
        blob += padded
        data_offset += len(padded)
    body = struct.pack("<I", len(items)) + b"".join(table) + names
    body += b"\0" * (data_start - len(body))
    return header + body + bytes(blob)


def trim(package: bytes) -> tuple[bytes, list[str], list[str]]:
    """The package without the dropped items; also the kept and dropped item names."""
    header, items = read_items(package)
    kept = [(name, data) for name, data in items if not is_dropped(name.partition("/")[2])]
    dropped = [name for name, _ in items if is_dropped(name.partition("/")[2])]
    return write_package(header, kept), [name for name, _ in kept], dropped


def data_symbol(library: Path) -> tuple[str, int, int]:
    """The exported data symbol of libicudata (e.g. icudt73_dat), its file offset and size."""
    symbols = subprocess.run(
        ["nm", "-D", "-S", "--defined-only", str(library)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in symbols.splitlines():
        fields = line.split()
        if len(fields) == 4 and re.fullmatch(r"icudt\d+_dat", fields[3]):
            address, size = int(fields[0], 16), int(fields[1], 16)
            return fields[3], _file_offset(library, address), size
    raise ValueError(f"{library} exports no icudtNN_dat symbol")


def _file_offset(library: Path, address: int) -> int:
    """The file offset of a virtual address, from the section headers (readelf -S -W)."""
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(library)], capture_output=True, text=True, check=True
    ).stdout
    for line in sections.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 6 and fields[0].startswith("[") and fields[2] == "PROGBITS":
            start, offset, size = (int(fields[i], 16) for i in (3, 4, 5))
            if start <= address < start + size:
                return offset + address - start
    raise ValueError(f"no section of {library} holds address {address:#x}")


def soname(library: Path) -> str:
    dynamic = subprocess.run(
        ["readelf", "-d", str(library)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dynamic)
    if not found:
        raise ValueError(f"{library} has no soname")
    return found.group(1)


def build_library(package: bytes, symbol: str, library_soname: str, out: Path) -> None:
    """A shared object exporting ``symbol`` (read-only, 16-byte aligned) holding ``package``."""
    for tool in ("as", "ld"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: install binutils (sudo apt install binutils)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "data.bin").write_bytes(package)
        (work / "data.s").write_text(
            "\t.section .rodata\n"
            f"\t.globl {symbol}\n"
            f"\t.type {symbol}, @object\n"
            "\t.balign 16\n"
            f"{symbol}:\n"
            f'\t.incbin "{work / "data.bin"}"\n'
            f"\t.size {symbol}, . - {symbol}\n"
            '\t.section .note.GNU-stack,"",@progbits\n'
        )
        subprocess.run(["as", "-o", str(work / "data.o"), str(work / "data.s")], check=True)
        subprocess.run(
            ["ld", "-shared", "-soname", library_soname, "-o", str(out), str(work / "data.o")],
            check=True,
        )


def smaller_library(library: Path, out: Path) -> tuple[list[str], list[str]]:
    """Write the trimmed copy of ``library`` to ``out``; returns the kept and dropped names."""
    symbol, offset, size = data_symbol(library)
    with library.open("rb") as source:
        source.seek(offset)
        package = source.read(size)
    trimmed, kept, dropped = trim(package)
    build_library(trimmed, symbol, soname(library), out)
    return kept, dropped


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    library, out = Path(argv[0]), Path(argv[1])
    kept, dropped = smaller_library(library, out)
    print(f"kept {len(kept)} items, dropped {len(dropped)}")
    print(f"{library.stat().st_size / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
