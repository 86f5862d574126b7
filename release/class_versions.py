"""Fails unless every class in a jar is at most a given class-file major version (55 = Java 11).

python class_versions.py devtoken-VERSION.jar 55
"""

from __future__ import annotations

import sys
import zipfile
from collections import Counter


def main(jar_path: str, highest: int) -> None:
    versions: Counter[int] = Counter()
    too_new = []
    with zipfile.ZipFile(jar_path) as jar:
        for name in jar.namelist():
            # Multi-release jars keep newer classes under META-INF/versions/N/ on purpose.
            if not name.endswith(".class") or name.startswith("META-INF/versions/"):
                continue
            head = jar.read(name)[:8]
            if head[:4] != b"\xca\xfe\xba\xbe":
                raise SystemExit(f"{jar_path}: {name} is not a class file")
            major = int.from_bytes(head[6:8], "big")
            versions[major] += 1
            if major > highest:
                too_new.append(f"{name} ({major})")
    if not versions:
        raise SystemExit(f"{jar_path}: no classes")
    if too_new:
        raise SystemExit(f"{jar_path}: classes newer than major {highest}: {', '.join(too_new)}")
    found = ", ".join(f"{count} of major {major}" for major, count in sorted(versions.items()))
    print(f"{jar_path}: every class at most major {highest} (Java {highest - 44}): {found}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], int(sys.argv[2]))
