#!/usr/bin/env python3
"""Write the licence notices of every crate compiled into the cfingress binary.

Usage: scripts/third-party-licenses.py TARGET-TRIPLE > THIRD-PARTY-LICENSES.txt

The crates are those `cargo tree` names as compiled into the binary for TARGET-TRIPLE: the
normal dependencies, without build-dependencies, dev-dependencies and proc-macros. For each
crate the list gives its declared licence and repository; then come the licence, copyright and
notice files each crate ships, every distinct text once, with the crates that ship it. A crate
that ships no such file is named on stderr and in the list, so that its notice can be added by
hand.
"""

import hashlib
import json
import os
import re
import subprocess
import sys

# File names (at the top of a crate) that carry licence terms or copyright notices.
NOTICE_FILE = re.compile(r"^(licen[cs]e|copying|copyright|notice|unlicense)([-._].*)?$", re.I)
# A licence text larger than this is not a licence text.
MAX_TEXT = 256 * 1024


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    target = sys.argv[1]
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--locked", "--format-version", "1",
             "--filter-platform", target],
            check=True, stdout=subprocess.PIPE,
        ).stdout
    )
    root = meta["resolve"]["root"]
    root_pkg = next(p for p in meta["packages"] if p["id"] == root)
    # What ends up in the binary: the normal dependencies without proc-macros, with the features
    # a build of the binary enables (`cargo metadata` also counts what dev-dependencies enable).
    tree = subprocess.run(
        ["cargo", "tree", "--locked", "--edges", "normal,no-proc-macro", "--target", target,
         "--prefix", "none", "--format", "{p}"],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    built = set()
    for line in tree.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1].startswith("v"):
            built.add((words[0], words[1][1:]))
    crates = sorted(
        (p for p in meta["packages"]
         if (p["name"], p["version"]) in built and p["id"] != root),
        key=lambda p: (p["name"], p["version"]),
    )

    texts = {}  # digest -> [text, [(crate, file)...]]
    missing = []
    for pkg in crates:
        label = f"{pkg['name']} {pkg['version']}"
        found = notice_files(pkg)
        if not found:
            missing.append(label)
        for path in found:
            with open(path, "rb") as f:
                raw = f.read(MAX_TEXT)
            text = raw.decode("utf-8", "replace").replace("\r\n", "\n").strip("\n")
            text = "\n".join(line.rstrip() for line in text.split("\n"))
            # Texts that differ only in line breaks or indentation are the same text.
            digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
            texts.setdefault(digest, [text, []])[1].append((label, os.path.basename(path)))

    out = sys.stdout
    out.write(f"Third-party software in {root_pkg['name']} {root_pkg['version']} ({target})\n\n")
    out.write(
        "The cfingress binary is built with the Rust standard library (MIT OR Apache-2.0) and\n"
        f"the {len(crates)} crates below, each with the licence it declares. After the list come\n"
        "the licence and notice files these crates ship, each distinct text once.\n\n"
    )
    width = max(len(f"{p['name']} {p['version']}") for p in crates)
    for pkg in crates:
        label = f"{pkg['name']} {pkg['version']}"
        licence = pkg.get("license") or "see its licence file"
        repo = pkg.get("repository") or ""
        note = "  (ships no licence file)" if label in missing else ""
        out.write(f"  {label:<{width}}  {licence}  {repo}{note}\n".rstrip() + "\n")
    for text, users in texts.values():
        out.write("\n" + "=" * 78 + "\n")
        names = ", ".join(f"{crate} ({file})" for crate, file in users)
        out.write(wrap(f"Shipped by: {names}") + "\n")
        out.write("=" * 78 + "\n\n")
        out.write(text + "\n")
    for label in missing:
        print(f"third-party-licenses: {label} ships no licence file", file=sys.stderr)
    return 0


def notice_files(pkg):
    """The notice files of a crate: its `license-file`, and those at the top of its folder."""
    folder = os.path.dirname(pkg["manifest_path"])
    found = set()
    if pkg.get("license_file"):
        found.add(os.path.normpath(os.path.join(folder, pkg["license_file"])))
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if NOTICE_FILE.match(name) and os.path.isfile(path):
            found.add(path)
    return sorted(found)


def wrap(text, width=78):
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "    " + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
