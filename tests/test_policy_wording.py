"""The shipped content teaches the ECPT Prevent Policy in its own words: no run of 12 or more
consecutive words of the policy appears in courses/, quizzes/ or the default training plan.

A summary that copies the policy's sentences reads as a copy rather than teaching, and keeps
the policy's out-of-date wording when the courses say what has changed since. The policy's
text is not kept in this repository: tests/data/policy-12-word-runs.txt holds the SHA-256 of
each of its 12-word runs, one a line. Text is normalised the same way on both sides (`words`):
lower case, apostrophes dropped, every other run of characters that are not letters or digits
made one space; a file is read as one stream of words, so a run split across lines, Markdown
or TOML comment marks still counts.

When the policy changes, regenerate the list from its plain text, from the repository root:

    .venv/bin/python tests/test_policy_wording.py POLICY.txt > tests/data/policy-12-word-runs.txt
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
RUNS_FILE = Path(__file__).parent / "data" / "policy-12-word-runs.txt"
RUN = 12
SCANNED = sorted([*ROOT.glob("courses/*/*.md"), *ROOT.glob("courses/*/course.toml"), *ROOT.glob("quizzes/*.toml")]) + [
    ROOT / "lms" / "defaults" / "training-plan.toml"
]


def words(text: str) -> list[str]:
    text = re.sub(r"['\u2018\u2019]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def run_hashes(text: str) -> set[str]:
    w = words(text)
    return {hashlib.sha256(" ".join(w[i : i + RUN]).encode()).hexdigest() for i in range(len(w) - RUN + 1)}


def copied_runs(text: str, policy_runs: set[str]) -> list[str]:
    """The passages of `text` (its own words, joined) that share a 12-word run with the policy."""
    w = words(text)
    starts = [
        i
        for i in range(len(w) - RUN + 1)
        if hashlib.sha256(" ".join(w[i : i + RUN]).encode()).hexdigest() in policy_runs
    ]
    passages: list[list[int]] = []
    for i in starts:
        if passages and i <= passages[-1][1] + RUN:
            passages[-1][1] = i
        else:
            passages.append([i, i])
    return [" ".join(w[a : b + RUN]) for a, b in passages]


def load_runs() -> set[str]:
    lines = RUNS_FILE.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_hash_list_covers_a_whole_policy():
    """An empty or truncated list would let every copy through."""
    runs = load_runs()
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in runs)
    assert len(runs) > 1500  # the policy is some 1,700 words long


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_run_of_twelve_policy_words_is_copied(path):
    copied = copied_runs(path.read_text(encoding="utf-8"), load_runs())
    assert not copied, f"{path.relative_to(ROOT)} copies the policy; say it in your own words: {copied}"


def test_markup_case_and_quotes_do_not_hide_a_copy():
    source = "Everyone’s route is the Safeguarding Lead, who decides with advice what happens next today."
    copy = "# Comment\n# **everyone's** route is the safeguarding\n# lead -- who decides, with advice, what happens next today!"
    reworded = "Everyone takes a worry to the Safeguarding Lead, who decides with advice what happens next."
    assert copied_runs(copy, run_hashes(source)) == [" ".join(words(source))]
    assert copied_runs(reworded, run_hashes(source)) == []


def main(policy: Path) -> None:
    print("# SHA-256 of each 12-word run of the ECPT Prevent Policy, normalised as in")
    print("# tests/test_policy_wording.py (which says how to regenerate this file).")
    for digest in sorted(run_hashes(policy.read_text(encoding="utf-8"))):
        print(digest)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
