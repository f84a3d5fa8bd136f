"""The ECPT induction content: each quiz's pool, pass mark, answers and feedback."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
COURSES = sorted(p.parent.name for p in (ROOT / "courses").glob("*/course.toml"))
EXPECTED = {
    "prevent-awareness",
    "british-values",
    "referral-routes",
    "ecpt-prevent-policy",
    "prevent-refresher",
    "prevent-for-directors",
}


def test_all_six_courses_ship_with_a_quiz_each():
    assert set(COURSES) == EXPECTED
    for slug in COURSES:
        course = tomllib.loads((ROOT / "courses" / slug / "course.toml").read_text())
        assert course["quiz"] == slug
        assert (ROOT / "quizzes" / f"{slug}.toml").exists()
        lessons = sorted((ROOT / "courses" / slug).glob("*.md"))
        assert 4 <= len(lessons) <= 7, slug


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_quiz_pool_and_answers(slug):
    quiz = tomllib.loads((ROOT / "quizzes" / f"{slug}.toml").read_text())
    questions = quiz["questions"]
    draw = quiz["draw"]
    assert quiz["pass_mark"] == 80
    assert draw == (8 if slug == "prevent-refresher" else 10)
    assert len(questions) >= 2 * draw
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids))
    for q in questions:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", q["id"]), q["id"]
        assert len(q["feedback"].split()) >= 8, q["id"]  # feedback that teaches, not "Correct!"
        if q["type"] == "true_false":
            assert isinstance(q["answer"], bool) and "options" not in q, q["id"]
            continue
        options = q["options"]
        right = [o for o in options if o.get("correct")]
        if q["type"] == "single":
            assert len(right) == 1, q["id"]
        else:
            assert q["type"] == "multiple" and len(right) >= 1, q["id"]
        texts = [o["text"].lower() for o in options]
        assert not any("all of the above" in t or "none of the above" in t for t in texts), q["id"]


def test_policy_course_names_its_version():
    course = tomllib.loads((ROOT / "courses" / "ecpt-prevent-policy" / "course.toml").read_text())
    policy = course["policy"]
    assert policy["ref"] == "ecpt-prevent-policy"
    assert policy["version"] in policy["statement"]
