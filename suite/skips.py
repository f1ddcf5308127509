"""skips: checks that `make test` skipped, carried to its last lines.

`make test` sets $H1XX_SKIPPED to a folder (build/skipped, emptied first). A test script that
skips a whole check (html_test without chromium) calls note(); selftest.py, which runs last,
calls summary() so the skip shows in the final lines instead of scrolling away. Run by hand
(no $H1XX_SKIPPED) both do nothing: no stale marker can leak into another run."""
import os


def _folder():
    return os.environ.get("H1XX_SKIPPED") or None


def note(check, reason):
    """Records that `check` was skipped because of `reason` (one line)."""
    d = _folder()
    if not d:
        return
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, check), "w") as f:
        f.write(reason.replace("\n", " ").strip() + "\n")


def summary():
    """Prints one line naming every skipped check; returns how many there were."""
    d = _folder()
    if not d or not os.path.isdir(d):
        return 0
    found = []
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name)) as f:
            found.append(f"{name} ({f.read().strip()})")
    if found:
        word = "check" if len(found) == 1 else "checks"
        print(f"*** {len(found)} {word} skipped: {', '.join(found)} ***", flush=True)
    return len(found)
