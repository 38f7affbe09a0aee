# standalone: the repository is all a person who clones it gets. No tracked
# file may point at documents outside it (the design and style notes it grew
# from, or their fixtures and research folders), every relative link of a
# markdown file must lead to a tracked file or folder, and so must every
# docs/*.md path named in any tracked file. The forbidden strings are built
# from pieces so that this file does not match itself.
# san: skip: a search of the tree's text
. tests/integration/lib.sh
cd "$ROOT" || fail "cannot cd to $ROOT"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    fail "not a git work tree: the tracked files cannot be listed"
git ls-files >"$T/tracked" || fail "git ls-files failed"
[ -s "$T/tracked" ] || fail "git ls-files listed nothing"

# 1. No pointer outside the repository.
d=DES""IGN s=STY""LE sh=sha""red
printf '%s\n' "$d.md" "$d §" "$s.md" "../$sh" "/work/$sh" "$sh/fixtures" "$sh/research" \
    "steer""ing repo" >"$T/forbidden"
git ls-files -z | xargs -0 grep -nIF -f "$T/forbidden" -- 2>/dev/null >"$T/hits"
[ -s "$T/hits" ] &&
    fail "tracked files point outside the repository ($(wc -l <"$T/hits") lines):
$(head -n 20 "$T/hits")"

# is_tracked PATH: PATH (relative to the root) is a tracked file or a folder
# holding tracked files.
is_tracked() {
    [ -n "$(git ls-files -- "$1" | head -n 1)" ]
}

# 2. Every relative link of a markdown file, resolved from the file's folder
# (a leading / from the root), without its #anchor or "title".
: >"$T/broken"
grep '\.md$' "$T/tracked" | while IFS= read -r f; do
    [ -f "$f" ] || continue
    dir=$(dirname "$f")
    grep -o '](\([^)]*\))' "$f" | sed 's/^](//; s/)$//; s/ .*//; s/#.*//' | while IFS= read -r l; do
        case "$l" in '' | http:* | https:* | mailto:* | ftp:*) continue ;; esac
        case "$l" in /*) p=${l#/} ;; *) p="$dir/$l" ;; esac
        p=$(realpath -m --relative-to="$ROOT" "$ROOT/$p")
        is_tracked "$p" || echo "$f: link ($l) -> $p is not in the repository" >>"$T/broken"
    done
done

# 3. Every docs/*.md path named anywhere (code comments, scripts, docs).
git ls-files -z | xargs -0 grep -oHI '\(^\|[^A-Za-z0-9_./-]\)docs/[A-Za-z0-9_.-]*\.md' -- \
    2>/dev/null | sed 's/:[^:]*\(docs\/\)/:\1/' | sort -u | while IFS=: read -r f p; do
    is_tracked "$p" || echo "$f: names $p, which is not in the repository" >>"$T/broken"
done
[ -s "$T/broken" ] && fail "dangling references ($(wc -l <"$T/broken")):
$(head -n 20 "$T/broken")"
echo ok
