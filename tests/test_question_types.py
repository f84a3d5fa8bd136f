"""The question types beyond single, multiple and true/false, and feedback for each answer:
short answer, numerical, matching and Moodle-weighted multiple answer, each through the pack
format (validation), a sync, an attempt through the pages, the result page, the CSV of
responses, and a GIFT export that imports back the same."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from fractions import Fraction

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import QuizAttempt, QuizQuestion, QuizResponse
from lms.packs.grades import share
from lms.packs.operations import check_content
from lms.packs.schemas import QuizSchema
from lms.quizzes import grading
from lms.quizzes.gift import parse_gift, to_gift

from .factories import sync_content

# Written for these tests.
TYPES = """\
title = "Every kind"
pass_mark = 60
shuffle = false

[[questions]]
id = "agency"
type = "short_answer"
text = "Which body sets the UK terrorism threat level? Give its initials."
feedback = "The Joint Terrorism Analysis Centre sets it."
answers = [
  { text = "JTAC", feedback = "Yes: the Joint Terrorism Analysis Centre." },
  { text = "Joint Terrorism Analysis Centre" },
  { text = "MI5", weight = 50, feedback = "JTAC sits within MI5, so half the mark." },
]

[[questions]]
id = "act-year"
type = "numerical"
text = "In which year did the Prevent duty become law?"
feedback = "The Counter-Terrorism and Security Act is of 2015."
answers = [
  { value = 2015, feedback = "Right: 2015." },
  { value = 2015, tolerance = 1, weight = 50, feedback = "A year out: half the mark." },
]

[[questions]]
id = "strands"
type = "matching"
text = "Match each strand of CONTEST to what it does."
feedback = "Prevent stops people being drawn in; Pursue stops attacks; Protect strengthens defences."
pairs = [
  { prompt = "Prevent", match = "Stop people being drawn into terrorism" },
  { prompt = "Pursue", match = "Stop attacks" },
  { prompt = "Protect", match = "Strengthen protection" },
]

[[questions]]
id = "signs"
type = "multiple"
text = "Which of these may be signs of radicalisation? Select all that apply."
feedback = "Changes in behaviour and contacts matter; faith alone is never a sign."
options = [
  { text = "Sudden isolation from friends", weight = 50, feedback = "Yes: a change worth noticing." },
  { text = "New contacts who push an ideology", weight = 50 },
  { text = "Going to a place of worship", weight = -100, feedback = "No: faith is not a sign." },
]

[[questions]]
id = "channel"
type = "true_false"
text = "Channel support is voluntary."
answer = true
feedback = "A person must consent to Channel support."
feedback_true = "Right: consent is needed."
feedback_false = "It is voluntary: consent is needed."

[[questions]]
id = "range"
type = "numerical"
text = "Name any whole number from 1 to 3."
feedback = "1, 2 or 3."
answers = [ { min = 1, max = 3 } ]
"""

RIGHT = {
    "agency": "  jtac ",
    "act-year": "2015",
    "strands": {"Prevent": "Stop people being drawn into terrorism", "Pursue": "Stop attacks",
                "Protect": "Strengthen protection"},
    "signs": ["Sudden isolation from friends", "New contacts who push an ideology"],
    "channel": ["True"],
    "range": "2",
}


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


@pytest.fixture
def synced(app, content):
    content.quiz("kinds", TYPES)
    sync_content()
    return content


def _questions() -> dict[str, QuizQuestion]:
    return {q.qid: q for q in db.session.scalars(select(QuizQuestion))}


def form_for(attempt_id: int, answers: dict) -> dict:
    """The form the attempt page would send for these answers (by option or match text)."""
    questions = {q.id: q for q in _questions().values()}
    form: dict = {}
    for question_id, _ in db.session.get(QuizAttempt, attempt_id).draw:
        q = questions[question_id]
        given = answers.get(q.qid)
        if given is None:
            continue
        if q.type in grading.TEXT_TYPES:
            form[f"q-{q.qid}"] = given
        elif q.type == "matching":
            choices = grading.matching_choices(q)
            for i, option in enumerate(q.options):
                if option["text"] in given:
                    form[f"q-{q.qid}--{i}"] = str(choices.index(given[option["text"]]))
        else:
            texts = [o["text"] for o in q.options]
            form[f"q-{q.qid}"] = [str(texts.index(t)) for t in given]
    return form


def start(client) -> int:
    response = client.post("/quizzes/kinds/start")
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("/", 1)[1])


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


# -- the pack format ---------------------------------------------------------------------------


def test_the_new_types_sync_and_store_what_grading_needs(synced):
    q = _questions()
    assert q["agency"].type == "short_answer"
    assert q["agency"].options[2] == {"text": "MI5", "correct": False, "weight": 50.0,
                                      "feedback": "JTAC sits within MI5, so half the mark."}
    assert q["act-year"].options[0]["value"] == 2015 and q["act-year"].options[1]["tolerance"] == 1
    assert q["act-year"].options[1]["text"] == "2015 ± 1"
    assert q["range"].options == [{"text": "1 to 3", "correct": True, "weight": 100.0, "min": 1, "max": 3}]
    assert [o["match"] for o in q["strands"].options][1] == "Stop attacks"
    assert q["signs"].partial and [o["correct"] for o in q["signs"].options] == [True, True, False]
    assert q["channel"].options[0]["feedback"] == "Right: consent is needed."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('{ text = "New contacts who push an ideology", weight = 50 }', '{ text = "New contacts who push an ideology", weight = 40 }'),
         "questions[4]: the positive weights add up to 90, not 100"),
        (("weight = -100", "weight = -42"), "the weight -42 is not one of Moodle's grades"),
        (('weight = -100, feedback', 'correct = true, weight = -100, feedback'),
         "leave out correct when options have weights"),
        (('{ text = "New contacts who push an ideology", weight = 50 }', '{ text = "New contacts who push an ideology" }'),
         "needs a weight too"),
        (('{ text = "MI5", weight = 50', '{ text = "jtac ", weight = 50'), "appears twice"),
        (("{ min = 1, max = 3 }", "{ min = 3, max = 1 }"), "min (3) is more than max (1)"),
        (("{ min = 1, max = 3 }", "{ min = 1 }"), "needs a value (with an optional tolerance), or both min and max"),
        (('{ value = 2015, feedback = "Right: 2015." }', '{ value = "2015" }'), "must be a number, not text"),
        (('{ prompt = "Pursue"', '{ prompt = "Prevent"'), "the prompt 'Prevent' appears twice"),
        (('type = "short_answer"', 'type = "essay"'), "type must be one of: single, multiple, true_false, short_answer"),
    ],
)
def test_pack_errors_for_the_new_types(app, content, change, message):
    assert change[0] in TYPES
    content.quiz("kinds", TYPES.replace(*change))
    errors = "\n".join(str(e) for e in check_content())
    assert message in errors, errors


def test_grades_are_moodles_fractions_held_exactly():
    assert share(33.33333) == Fraction(1, 3) and share(33.33) == Fraction(1, 3)
    assert share(-14.28571) == Fraction(-1, 7) and share(83.33333) == Fraction(5, 6)
    assert 3 * share(33.33333) == 1
    with pytest.raises(ValueError, match="not one of Moodle's grades"):
        share(35)


def test_grading_each_type(synced):
    q = _questions()
    g = grading.grade
    agency = q["agency"]
    assert g(agency, "JTAC") == 1 and g(agency, "  joint   terrorism analysis CENTRE ") == 1
    assert g(agency, "mi5") == Fraction(1, 2) and g(agency, "MI6") == 0 and g(agency, "") == 0
    year = q["act-year"]
    assert g(year, "2015") == 1 and g(year, "2,015") == 1 and g(year, "2016") == Fraction(1, 2)
    assert g(year, "2017") == 0 and g(year, "soon") == 0 and g(year, "2014.5") == Fraction(1, 2)
    assert g(q["range"], "1") == 1 and g(q["range"], "3.0") == 1 and g(q["range"], "3.01") == 0
    strands = q["strands"]
    choices = grading.matching_choices(strands)
    right = tuple(choices.index(o["match"]) for o in strands.options)
    assert g(strands, right) == 1
    assert g(strands, (right[0], right[2], right[1])) == Fraction(1, 3)
    assert g(strands, (right[0], None, None)) == Fraction(1, 3) and g(strands, (None,) * 3) == 0
    signs = q["signs"]
    assert g(signs, frozenset({0, 1})) == 1 and g(signs, frozenset({0})) == Fraction(1, 2)
    assert g(signs, frozenset({0, 2})) == 0 and g(signs, frozenset({0, 1, 2})) == 0  # never below 0
    # `*` in an accepted answer stands for any text
    agency.options = [{"text": "joint * centre", "correct": True, "weight": 100}]
    assert g(agency, "Joint Terrorism Analysis Centre") == 1 and g(agency, "centre") == 0
    db.session.rollback()


# -- an attempt --------------------------------------------------------------------------------


def test_the_attempt_page_draws_each_type_accessibly(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    page = client.get(f"/quizzes/kinds/attempts/{attempt_id}").get_data(as_text=True)
    # typed answers: a label tied to the input, a hint, no fieldset of one
    assert re.search(r'<label class="legend" for="q-agency">.*?Which body sets', page, re.S)
    assert 'id="q-agency" name="q-agency" type="text"' in page
    assert re.search(r'id="q-act-year"[^>]*inputmode="decimal"', page, re.S)
    assert "Capital letters and spaces do not matter." in page
    # matching: a fieldset with a legend, a labelled select per prompt, choices alphabetical
    # when the quiz does not shuffle
    assert re.search(r'<legend class="legend">.*?Match each strand', page, re.S)
    for i, prompt in enumerate(["Prevent", "Pursue", "Protect"]):
        assert f'<label class="label" for="q-strands--{i}">{prompt}</label>' in page
    options = re.findall(r'<option value="\d">([^<]+)</option>', page.split('id="q-strands--0"')[1].split("</select>")[0])
    assert options == sorted(options)
    assert page.count("<fieldset") == 3  # matching, multiple, true/false


def test_right_answers_pass_and_the_result_shows_each_answers_feedback(client, auth, synced):
    user = auth.login_as("learner")
    attempt_id = start(client)
    response = client.post(f"/quizzes/kinds/attempts/{attempt_id}", data=form_for(attempt_id, RIGHT))
    assert response.status_code == 303, plain(response)
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert (attempt.user_id, attempt.score, attempt.passed) == (user.id, 100.0, True)
    rows = {r.question.qid: r for r in db.session.scalars(select(QuizResponse))}
    assert (rows["agency"].chosen, rows["agency"].answer) == ("", "jtac")
    assert rows["strands"].chosen.isdigit() and rows["strands"].answer is None
    page = plain(client.get(f"/quizzes/kinds/attempts/{attempt_id}/result"))
    assert "6 of 6 right" in page
    assert "Your answer: jtac" in page and "On your answer: Yes: the Joint Terrorism Analysis Centre." in page
    assert "Answers that earn the whole mark: JTAC; Joint Terrorism Analysis Centre" in page
    assert "On your answer: Right: 2015." in page and "On your answer: Yes: a change worth noticing." in page
    assert "On your answer: Right: consent is needed." in page
    assert "It is voluntary" not in page  # the feedback for the answer not given is not shown
    assert "Pursue Stop attacks Right" in page
    assert "The Joint Terrorism Analysis Centre sets it." in page  # general feedback beside


def test_partial_credit_counts_towards_the_pass_mark(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    answers = dict(RIGHT, agency="MI5", **{"act-year": "2016"},
                   signs=["Sudden isolation from friends"],
                   strands={"Prevent": "Stop attacks", "Pursue": "Stop attacks"})
    client.post(f"/quizzes/kinds/attempts/{attempt_id}", data=form_for(attempt_id, answers))
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    # 0.5 + 0.5 + 1/3 + 0.5 + 1 + 1 = 3 5/6 of 6
    assert attempt.score == round(float(100 * (3 + Fraction(5, 6)) / 6), 2) and attempt.passed
    page = plain(client.get(f"/quizzes/kinds/attempts/{attempt_id}/result"))
    assert "On your answer: JTAC sits within MI5, so half the mark." in page
    assert "On your answer: A year out: half the mark." in page
    assert "Partly right (50% of the mark)" in page and "Partly right (33% of the mark)" in page
    assert "Protect Not answered" in page


def test_a_numerical_answer_that_is_not_a_number_is_asked_again(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    response = client.post(f"/quizzes/kinds/attempts/{attempt_id}",
                           data=form_for(attempt_id, dict(RIGHT, **{"act-year": "twenty fifteen"})))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Enter a number, like 12 or 0.5" in page
    assert 'href="#question-2"' in page and 'value="twenty fifteen"' in page  # kept as typed
    assert 'value="jtac"' in page  # the other answers stay too
    assert db.session.scalars(select(QuizResponse)).all() == []
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).state == "in_progress"


def test_forms_the_page_never_sends_are_refused(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    for bad in ({"q-strands--0": "9"}, {"q-strands--7": "0"}, {"q-strands--0": ["0", "1"]},
                {"q-agency": ["a", "b"]}):
        response = client.post(f"/quizzes/kinds/attempts/{attempt_id}", data=bad)
        assert response.status_code == 400, bad
        assert "nothing was recorded" in plain(response)
    assert db.session.scalars(select(QuizResponse)).all() == []


def test_someone_elses_attempt_is_not_found(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    auth.login_as("learner", email="other@example.org")
    response = client.post(f"/quizzes/kinds/attempts/{attempt_id}", data=form_for(attempt_id, RIGHT))
    assert response.status_code == 404
    assert client.get(f"/quizzes/kinds/attempts/{attempt_id}/result").status_code == 404


def test_the_csv_of_responses_gives_typed_answers_and_matches(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    client.post(f"/quizzes/kinds/attempts/{attempt_id}", data=form_for(attempt_id, RIGHT))
    auth.login_as("lead")
    response = client.get("/quiz-results/responses.csv?quiz=kinds")
    rows = {r["question"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert rows["agency"]["answer"] == "jtac" and rows["act-year"]["answer"] == "2015"
    assert rows["strands"]["answer"].startswith("Prevent → Stop people being drawn into terrorism | ")
    assert rows["signs"]["answer"] == "Sudden isolation from friends | New contacts who push an ideology"


def test_questions_stored_before_the_new_types_score_as_before(synced):
    """A row stored before `answer` existed (answer NULL) reads back as it did."""
    q = _questions()
    assert grading.restored(q["channel"], "0", None) == frozenset({0})
    assert grading.restored(q["agency"], "", None) == ""
    single = QuizQuestion(type="single", options=[{"text": "a", "correct": True}, {"text": "b", "correct": False}])
    assert grading.grade(single, frozenset({0})) == 1 and grading.grade(single, frozenset({1})) == 0


# -- GIFT ----------------------------------------------------------------------------------------


def test_export_gift_of_every_type_imports_back_the_same(runner, synced, tmp_path):
    out = tmp_path / "kinds.gift"
    result = runner.invoke(args=["lms", "export-gift", "kinds", "--out", str(out)])
    assert result.exit_code == 0, result.output
    gift = out.read_text()
    assert "\t=%50%MI5#JTAC sits within MI5, so half the mark." in gift
    assert "\t=%100%2015#Right\\: 2015." in gift and "\t=%50%2015:1#" in gift
    assert "\t=%100%1..3" in gift
    assert "\t=Pursue -> Stop attacks" in gift
    assert "\t~%-100%Going to a place of worship#No\\: faith is not a sign." in gift
    assert "{TRUE#It is voluntary\\: consent is needed.#Right\\: consent is needed.####" in gift
    back = runner.invoke(args=["lms", "import-gift", str(out), "--slug", "kinds-back", "--out", str(tmp_path)])
    assert back.exit_code == 0, back.output
    assert "Imported 6 questions" in back.output and "skipped 0" in back.output
    original = QuizSchema.model_validate(tomllib.loads(TYPES))
    again = QuizSchema.model_validate(tomllib.loads((tmp_path / "kinds-back.toml").read_text()))
    assert again.questions == original.questions
    assert to_gift(again, "kinds").split("$CATEGORY")[1] == gift.split("$CATEGORY")[1]


def test_gift_import_of_the_new_types_syncs_and_is_taken(client, auth, runner, content, tmp_path):
    source = tmp_path / "bank.gift"
    source.write_text(
        "::Initials::Which body sets the threat level?{=JTAC#Right =%50%MI5#Half}\n\n"
        "::Year::The year of the Act?{#2015:0}\n\n"
        "::Pairs::Match them.{=Prevent -> Stop people being drawn in =Pursue -> Stop attacks}\n\n"
        "::Weights::Pick the two.{~%50%a ~%50%b ~%-100%c#Not c}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["lms", "import-gift", str(source), "--slug", "bank", "--pass-mark", "50"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["lms", "sync-content"]).exit_code == 0
    auth.login_as("learner")
    response = client.post("/quizzes/bank/start")
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    answers = {"initials": "mi5", "year": "2015", "weights": ["a", "b"],
               "pairs": {"Prevent": "Stop people being drawn in", "Pursue": "Stop attacks"}}
    assert client.post(f"/quizzes/bank/attempts/{attempt_id}", data=form_for(attempt_id, answers)).status_code == 303
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.score == round(100 * 3.5 / 4, 2) and attempt.passed
    # The file has no general feedback: the result page shows each answer's own, nothing invented.
    result_page = client.get(f"/quizzes/bank/attempts/{attempt_id}/result")
    assert result_page.status_code == 200
    page = plain(result_page)
    assert "On your answer: Half" in page and "The correct answer" not in page
    assert '<p></p>' not in result_page.get_data(as_text=True)


def test_parse_gift_keeps_weights_and_feedback_for_each_answer():
    result = parse_gift("::w::Which?{~%50%a#A is half ~%50%b ~%-50%c#C costs ~%-50%d}\n")
    [q] = result.questions
    assert q["options"] == [
        {"text": "a", "weight": 50.0, "feedback": "A is half"}, {"text": "b", "weight": 50.0},
        {"text": "c", "weight": -50.0, "feedback": "C costs"}, {"text": "d", "weight": -50.0},
    ]
    assert "partial" not in q


def test_saved_answers_of_every_type_come_back(client, auth, synced):
    """Answers saved part-way (the drafts) keep typed text and matches as given."""
    auth.login_as("learner")
    attempt_id = start(client)
    form = form_for(attempt_id, dict(RIGHT, **{"act-year": "twenty fifteen"}))
    response = client.post(f"/quizzes/kinds/attempts/{attempt_id}/answers", data=form)
    assert response.status_code == 303
    page = client.get(f"/quizzes/kinds/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="jtac"' in page and 'value="twenty fifteen"' in page
    selected = re.findall(r'<option value="(\d)" selected>', page)
    assert len(selected) == 3
    assert db.session.scalars(select(QuizResponse)).all() == []
