"""docsec: replace one "## " section of docs/PERFORMANCE.md, for the bench tools that measure
their own section (series_cost.py, curve_cost.py): the old section out, the new one (LINES)
before "## Run log" (or at the end)."""


def replace_section(path, head, lines):
    out, skip = [], False
    for line in open(path).read().split("\n"):
        if line.startswith("## "):
            skip = line.startswith(head)
        if not skip:
            out.append(line)
    at = next((i for i, x in enumerate(out) if x.startswith("## Run log")), len(out))
    out[at:at] = lines
    open(path, "w").write("\n".join(out))


def publish(lines, head, doc):
    """print the section; with DOC (a path) replace it there too"""
    print("\n".join(lines))
    if doc:
        replace_section(doc, head, lines)
