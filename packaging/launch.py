"""The frozen app's entry script: PyInstaller runs this file as ``__main__``.

``qagen-desktop --self-check FILE...`` is for the bundle's smoke test (tests/test_bundle_smoke.py),
not for people: it reads each file with the app's own source reader and prints its kind and text,
then prints names sorted by Qt's collator. So the test sees, inside the frozen folder, that the
readers' libraries (pypdf, beautifulsoup4) are there and that the trimmed ICU data
(packaging/icu_data.py) still sorts as Qt's file dialog needs.
"""

import sys


def self_check(paths: list[str]) -> int:
    from PySide6.QtCore import QCollator, QLocale

    from qagen_desktop.core.sources.reader import read_source

    for path in paths:
        source = read_source(path)
        print(f"{source.kind.name} {source.name}: {' '.join(source.text.split())}")
    names = ["file10", "Zürich", "file2", "Äpfel", "apple", "zebra"]
    for locale in ("en_US", "sv_SE"):
        collator = QCollator(QLocale(locale))
        collator.setNumericMode(True)
        print(f"collation {locale}: {' '.join(sorted(names, key=collator.sortKey))}")
    return 0


if len(sys.argv) > 1 and sys.argv[1] == "--self-check":
    sys.exit(self_check(sys.argv[2:]))

from qagen_desktop.launcher import main  # noqa: E402 (after the self-check, which needs no window)

sys.exit(main())
