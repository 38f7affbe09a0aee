#!/usr/bin/python3
"""recipes.py DOC LANG[,LANG...]: run every fenced code block of DOC tagged with
one of the LANGs (sh, python, sql) and check its output against the
`<!-- expect: TEXT -->` comments (plain substrings) written just before it.
The data file comes from $F; sql blocks run with psql on $PGDSN. Exit 1 if a
block fails, prints nothing, or misses an expectation, or if no block ran."""
import os, re, subprocess, sys, tempfile

doc, langs = sys.argv[1], sys.argv[2].split(",")
blocks, expects, cur, lang, body = [], [], None, None, []
for n, line in enumerate(open(doc), 1):
    if cur is None:
        m = re.match(r"<!-- expect: (.*) -->\s*$", line)
        if m:
            expects.append(m.group(1))
            continue
        m = re.match(r"```(\w*)\s*$", line)
        if m:
            cur, lang, body = n, m.group(1), []
        elif line.strip():
            expects = [] if not line.startswith("<!--") else expects
    elif line.startswith("```"):
        if lang in langs:
            blocks.append((cur, lang, "".join(body), expects))
        expects, cur = [], None
    else:
        body.append(line)

cmd = {"sh": ["sh", "-eu"], "python": ["/usr/bin/python3"],
       "sql": ["psql", "-X", "-A", "-q", "-v", "ON_ERROR_STOP=1", "-d", os.environ.get("PGDSN", ""), "-f"]}
failed = 0
for line, lang, code, exp in blocks:
    with tempfile.NamedTemporaryFile("w", suffix="." + lang, delete=False) as f:
        f.write(code)
    env = dict(os.environ, PGTZ="UTC", TZ="UTC")
    try:
        r = subprocess.run(cmd[lang] + [f.name], capture_output=True, text=True, timeout=120, env=env)
        out, err, rc = r.stdout, r.stderr, r.returncode
    except subprocess.TimeoutExpired:
        out, err, rc = "", "timeout", -1
    os.unlink(f.name)
    bad = [e for e in exp if e not in out]
    ok = rc == 0 and out.strip() and not bad
    print("%s:%d %s %s" % (doc, line, lang, "ok" if ok else "FAIL"))
    if not ok:
        failed += 1
        print("  rc=%d missing=%r\n  --- stdout\n%s\n  --- stderr\n%s" % (rc, bad, out[-1500:], err[-1500:]))
print("recipes: %d run, %d failed" % (len(blocks), failed))
sys.exit(1 if failed or not blocks else 0)
