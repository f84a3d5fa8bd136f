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
    assert draw == 10  # the refresher too: 8 at 80% left room for one mistake in eight
    assert len(questions) >= 2 * draw
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids))
    for q in questions:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", q["id"]), q["id"]
        assert len(q["feedback"].split()) >= 15, q["id"]  # feedback that teaches, not "Correct!"
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


# -- the rules a fair quiz keeps --------------------------------------------------------------
# A learner who has not read the course should not be able to pass by picking the longest
# option, by spotting the only plausible wrong answers, or by untangling double negatives.

QUIZZES = {slug: tomllib.loads((ROOT / "quizzes" / f"{slug}.toml").read_text()) for slug in sorted(EXPECTED)}
NEGATION = re.compile(r"\b(?:not|never|cannot|nobody|nothing|neither|nor)\b|n't\b", re.IGNORECASE)
FOUR_VALUES = ("democracy", "rule of law", "individual liberty", "mutual respect")


def words(text):
    return re.findall(r"[a-z0-9]+", re.sub(r"['\u2019]", "", text.lower()))


def right_options(question):
    return [o["text"] for o in question.get("options", []) if o.get("correct")]


def longest_is_right(question):
    """Whether the one longest option (in characters) is the right one; a tie for longest
    gives nothing away."""
    lengths = [len(o["text"]) for o in question["options"]]
    longest = max(lengths)
    return lengths.count(longest) == 1 and question["options"][lengths.index(longest)].get("correct", False)


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_the_longest_option_is_not_a_clue(slug):
    singles = [q for q in QUIZZES[slug]["questions"] if q["type"] == "single"]
    clues = [q["id"] for q in singles if longest_is_right(q)]
    assert len(clues) <= 0.4 * len(singles), f"the longest option is the right one in {clues}"


def test_the_longest_option_rule_counts_ties_as_no_clue():
    def single(*texts):
        return {"options": [{"text": texts[0], "correct": True}, *({"text": t} for t in texts[1:])]}

    assert longest_is_right(single("The long, right answer", "Short", "Wrong"))
    assert not longest_is_right(single("Equal sizes", "Also eleven", "Short"))
    assert not longest_is_right(single("Short", "A longer wrong answer"))


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_every_multiple_answer_question_has_two_wrong_options(slug):
    for q in QUIZZES[slug]["questions"]:
        if q["type"] == "multiple":
            wrong = [o for o in q["options"] if not o.get("correct")]
            assert len(wrong) >= 2, q["id"]


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_no_double_negatives(slug):
    for q in QUIZZES[slug]["questions"]:
        assert len(NEGATION.findall(q["text"])) < 2, q["id"]
        if q["type"] == "true_false":
            # calling a negative statement false is a double negative too
            assert q["answer"] or not NEGATION.search(q["text"]), q["id"]
        elif NEGATION.search(q["text"]):
            assert not any(NEGATION.search(o["text"]) for o in q["options"]), q["id"]


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_a_question_on_the_four_british_values_offers_all_four(slug):
    """A right answer that names two or more of the values is asking for the list: it must
    name all four (ECPT's own policy leaves out individual liberty)."""
    for q in QUIZZES[slug]["questions"]:
        right = " ".join(right_options(q)).lower()
        named = [v for v in FOUR_VALUES if v in right]
        assert len(named) in (0, 1, 4), (q["id"], named)


def test_no_question_repeats_another_word_for_word():
    seen = {}
    for slug, quiz in QUIZZES.items():
        for q in quiz["questions"]:
            text = " ".join(words(q["text"]))
            assert text not in seen, f"{slug} {q['id']} repeats {seen.get(text)}"
            seen[text] = (slug, q["id"])


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_feedback_says_why_not_only_what(slug):
    """Feedback that only restates the question and its answer teaches nothing: it must add
    words of its own."""
    for q in QUIZZES[slug]["questions"]:
        given = set(words(q["text"])) | set(words(" ".join(right_options(q))))
        added = set(words(q["feedback"])) - given
        assert len(added) >= 8, (q["id"], sorted(added))
