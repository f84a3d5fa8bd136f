"""How each question performs, for leads: facility, the discrimination index (upper against
lower 27% of attempts by score) and how often each option is chosen, over the last 12
months, checked against figures worked out by hand for a small set of attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from lms.extensions import db
from lms.models import QuizAttempt, utcnow
from lms.quizzes import statistics

from .factories import sync_content
from .test_quizzes import POOL, answer_form, plain, start


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


@pytest.fixture
def synced(app, content):
    content.quiz("alpha", POOL.format(settings="shuffle = false", partial=""))
    sync_content()
    return content


# Ten attempts, each answering the four questions as below (capital: London 0, Leeds 1,
# York 2; primes: 2, 3, 4, 5 with 2, 3 and 5 right; sky: True 0 is right; water: False 1 is
# right). Scores: 100, 75, 75, 50, 50, 50, 25, 25, 25, 0.
TEN = [
    {"capital": ["0"], "primes": ["0", "1", "3"], "sky": ["0"], "water": ["1"]},  # 1: 100
    {"capital": ["0"], "primes": ["0", "1", "3"], "sky": ["0"], "water": ["0"]},  # 2: 75
    {"capital": ["0"], "primes": ["0", "1", "3"], "sky": ["0"], "water": ["0"]},  # 3: 75
    {"capital": ["0"], "primes": ["0", "1"], "sky": ["0"], "water": ["0"]},  # 4: 50
    {"capital": ["0"], "primes": ["0", "1"], "sky": ["0"], "water": ["0"]},  # 5: 50
    {"capital": ["0"], "primes": ["0", "1"], "sky": ["0"], "water": ["0"]},  # 6: 50
    {"capital": ["0"], "primes": ["0", "1"], "sky": ["1"], "water": ["0"]},  # 7: 25
    {"capital": ["1"], "primes": ["2"], "sky": ["0"], "water": ["0"]},  # 8: 25
    {"capital": ["1"], "primes": ["2"], "sky": ["1"], "water": ["1"]},  # 9: 25
    {"primes": ["2"], "sky": ["1"], "water": ["0"]},  # 10: 0, capital unanswered
]


def take(client, auth, answers) -> int:
    auth.login_as("learner")
    attempt_id = start(client)
    response = client.post(
        f"/quizzes/alpha/attempts/{attempt_id}", data=answer_form(attempt_id, answers, confirm_unanswered="yes")
    )
    assert response.status_code == 303
    return attempt_id


@pytest.fixture
def ten(client, auth, synced):
    ids = [take(client, auth, answers) for answers in TEN]
    scores = [db.session.get(QuizAttempt, i).score for i in ids]
    assert scores == [100, 75, 75, 50, 50, 50, 25, 25, 25, 0]
    return ids


def by_qid(figures):
    return {q.qid: q for q in figures.questions}


def test_facility_discrimination_and_options_as_worked_out_by_hand(app, ten):
    from lms.models import Quiz

    quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == "alpha"))
    figures = statistics.quiz_figures(quiz)
    assert figures.attempts == 10 and figures.group_size == 3  # 27% of 10, rounded
    q = by_qid(figures)
    # Upper group: attempts 1-3; lower: 8-10 (of the three at 25, the latest two).
    assert (q["capital"].right, q["capital"].facility, q["capital"].discrimination) == (7, 0.7, 1.0)
    assert (q["primes"].right, q["primes"].facility, q["primes"].discrimination) == (3, 0.3, 1.0)
    assert q["sky"].facility == 0.7 and q["sky"].discrimination == pytest.approx(1 - 1 / 3)
    assert q["water"].facility == 0.2 and q["water"].discrimination == pytest.approx(0)
    assert [x.verdict for x in figures.questions] == ["Weak", "Good", "Good", "Good"]
    # The weakest discrimination first, then the lowest facility.
    assert [x.qid for x in figures.questions] == ["water", "sky", "primes", "capital"]

    def chosen(qid):
        return [(o.text, o.correct, o.chosen) for o in q[qid].options]

    assert chosen("capital") == [("London", True, 7), ("Leeds", False, 2), ("York", False, 0)]
    assert q["capital"].unanswered == 1
    assert chosen("primes") == [("2", True, 7), ("3", True, 7), ("4", False, 3), ("5", True, 3)]
    assert chosen("sky") == [("True", True, 7), ("False", False, 3)]
    assert chosen("water") == [("True", False, 8), ("False", True, 2)]


def test_attempts_older_than_twelve_months_and_unsubmitted_ones_are_left_out(client, auth, ten):
    old = take(client, auth, TEN[0])
    db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == old).values(submitted_at=utcnow() - timedelta(days=370))
    )
    db.session.commit()
    auth.login_as("learner")
    start(client)  # in progress: not counted
    from lms.models import Quiz

    quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == "alpha"))
    figures = statistics.quiz_figures(quiz)
    assert figures.attempts == 10 and by_qid(figures)["capital"].right == 7


def test_a_lead_reads_the_page_from_the_quiz_results(client, auth, ten):
    auth.login_as("lead")
    results = client.get("/quiz-results/alpha")
    assert 'href="/quiz-results/alpha/questions"' in results.get_data(as_text=True)
    page = client.get("/quiz-results/alpha/questions")
    assert page.status_code == 200
    text = plain(page)
    assert "From the 10 attempts submitted since" in text
    assert "the 3 attempts with the highest and the lowest scores" in text
    assert "Water boils at 50 degrees Celsius at sea level. water 10 20% 2 of 10 right 0.00 Weak" in text
    assert "Leeds 2 attempts 20%" in text
    assert "No answer 1 attempt 10%" in text
    # Stacked on a phone, each figure keeps its heading.
    html = page.get_data(as_text=True)
    for label in ("Drawn", "Facility", "Discrimination", "Chosen by", "Share"):
        assert f'data-label="{label}"' in html


def test_with_no_attempts_the_page_says_so(client, auth, synced):
    auth.login_as("lead")
    page = client.get("/quiz-results/alpha/questions")
    assert page.status_code == 200
    assert "No attempts at this quiz have been submitted in the last 12 months" in plain(page)


def test_learners_and_directors_may_not_see_it_and_a_missing_quiz_is_404(client, auth, ten):
    auth.login_as("learner")
    assert client.get("/quiz-results/alpha/questions").status_code == 403
    auth.login_as("director")
    assert client.get("/quiz-results/alpha/questions").status_code == 403
    auth.login_as("lead")
    assert client.get("/quiz-results/no-such-quiz/questions").status_code == 404


def test_the_query_count_does_not_grow_with_the_attempts(app, client, auth, synced):
    counter = {"n": 0}

    def count(*args, **kwargs):
        counter["n"] += 1

    def queries() -> int:
        counter["n"] = 0
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/quiz-results/alpha/questions").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return counter["n"]

    take(client, auth, TEN[0])
    auth.login_as("lead")
    few = queries()
    for answers in TEN:
        take(client, auth, answers)
    auth.login_as("lead")
    assert queries() == few
