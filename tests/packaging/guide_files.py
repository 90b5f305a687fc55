#!/usr/bin/env python3
"""Writes the files docs/guide.md shows into a folder.

A file in the guide is a line "File `NAME`:" followed, after a blank line,
by a fenced block holding its whole text.  Building what this writes is
how the tests know the guide's recipes work as written.

    guide_files.py GUIDE OUTDIR   -> prints the names written
"""
import os
import re
import sys


def files(text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.fullmatch(r"File `([^`]+)`:", lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and lines[i] == "":
            i += 1
        if i >= len(lines) or not lines[i].startswith("```"):
            sys.exit("guide_files: no fenced block after File `%s`" % m.group(1))
        fence = lines[i][:3]
        i += 1
        start = i
        while i < len(lines) and lines[i] != fence:
            i += 1
        yield m.group(1), "\n".join(lines[start:i]) + "\n"
        i += 1


def main():
    guide, outdir = sys.argv[1], sys.argv[2]
    with open(guide) as f:
        text = f.read()
    names = []
    for name, body in files(text):
        if os.path.isabs(name) or ".." in name.split("/"):
            sys.exit("guide_files: refusing to write %s" % name)
        path = os.path.join(outdir, name)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            f.write(body)
        names.append(name)
    if not names:
        sys.exit("guide_files: no files in %s" % guide)
    print(" ".join(names))


main()
