"""GIFT (Moodle) import and export: every construct of the grammar, the skipped types, the
CLI commands, and a round trip that keeps every question, option, correctness and feedback."""

from __future__ import annotations

import tomllib

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Quiz
from lms.packs.schemas import QuizSchema
from lms.quizzes.gift import GiftError, parse_gift, to_gift

# Written for these tests: every construct Moodle documents, with Windows line endings and a
# byte order mark added below.
EVERYTHING = r"""// A GIFT file for the tests.
// Comments are ignored, wherever they are.
$CATEGORY: $course$/top/Prevent

::Contest strand::Prevent is one of the four strands of which strategy?{
  =CONTEST#Right: CONTEST is the counter-terrorism strategy.
  ~The Equality Act#No, that is about discrimination.
  ~Working Together
  ####CONTEST has four strands: Prevent, Pursue, Protect and Prepare.
}

::Four Ps:: Which of these are CONTEST strands?
Select all that apply. {
  ~%50%Pursue
  ~%50%Protect
  ~%-50%Prosecute#Not a strand.
  ~%-50%Police
}

// true/false, every spelling, with feedback for a wrong and a right answer
Staff can share a Prevent concern before any crime.{T#Think again.#Yes: sharing early is the point.}

::TF full::The threat level is set by ministers.{FALSE####JTAC sets it, independently.}

::tf-short-false::A referral is a criminal record.{F}

::tf-true-word::Channel is voluntary.{TRUE}

::markdown::[markdown] *Markdown* text reads as **rendered**?{TRUE}

::Escapes::Can text hold \{braces\}, \= equals, \~ tildes, \# hashes and \: colons?{
  =Yes\: all of them#Escaped with a backslash.
  ~No
}

::html::[html]<p>Is <b>this</b> <script>alert(1)</script>sanitised?</p>{
  =<i>Yes</i>
  ~No
}

::plain::[plain]Plain text & symbols < > are kept.{TRUE}

::Short answer::Who sets the threat level?{=JTAC =The Joint Terrorism Analysis Centre}

::Numerical::How many strands does CONTEST have?{#4:0}

::Matching::Match the strands.{
  =Prevent -> stop people becoming terrorists
  =Pursue -> stop attacks
  =Protect -> strengthen protection
}

::Missing word::Prevent is part of {=CONTEST ~Channel} strategy.

::Essay::Describe the Prevent duty.{}

::Description::This is only a description.

::Two right::Which two?{=a =b ~c}

::Ordering::Put the steps in order.{>3 ALL Notice Check Refer}
"""


def gift_bytes(text: str = EVERYTHING) -> bytes:
    return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")


def _line(marker: str) -> int:
    return next(n for n, line in enumerate(EVERYTHING.split("\n"), start=1) if marker in line)


def test_parses_every_construct():
    result = parse_gift(gift_bytes())
    by_id = {q["id"]: q for q in result.questions}
    assert list(by_id) == [
        "contest-strand", "four-ps", "staff-can-share-a-prevent-concern-before-any-crime", "tf-full",
        "tf-short-false", "tf-true-word", "markdown", "escapes", "html", "plain", "short-answer",
        "numerical", "matching", "missing-word",
    ]
    single = by_id["contest-strand"]
    assert single["type"] == "single"
    assert single["text"] == "Prevent is one of the four strands of which strategy?"
    assert single["options"] == [  # each answer keeps its own feedback
        {"text": "CONTEST", "correct": True, "feedback": "Right: CONTEST is the counter-terrorism strategy."},
        {"text": "The Equality Act", "correct": False, "feedback": "No, that is about discrimination."},
        {"text": "Working Together", "correct": False},
    ]
    assert single["feedback"] == "CONTEST has four strands: Prevent, Pursue, Protect and Prepare."

    multiple = by_id["four-ps"]  # Moodle's weights, kept as they are
    assert multiple["type"] == "multiple" and "partial" not in multiple
    assert multiple["text"] == "Which of these are CONTEST strands? Select all that apply."
    assert [(o["text"], o["weight"]) for o in multiple["options"]] == [
        ("Pursue", 50), ("Protect", 50), ("Prosecute", -50), ("Police", -50)]
    assert multiple["options"][2]["feedback"] == "Not a strand."
    assert "feedback" not in multiple  # no general feedback: none invented

    tf = by_id["staff-can-share-a-prevent-concern-before-any-crime"]
    assert (tf["type"], tf["answer"]) == ("true_false", True)
    # Moodle's order: feedback for a wrong answer, then for a right one
    assert (tf["feedback_true"], tf["feedback_false"]) == ("Yes: sharing early is the point.", "Think again.")
    assert (by_id["tf-full"]["answer"], by_id["tf-full"]["feedback"]) == (False, "JTAC sets it, independently.")
    assert by_id["tf-short-false"]["answer"] is False and by_id["tf-true-word"]["answer"] is True
    assert "feedback" not in by_id["tf-short-false"]
    assert by_id["contest-strand"]["name"] == "Contest strand" and "name" not in by_id["markdown"]
    assert by_id["markdown"]["text"] == "Markdown text reads as rendered?"

    escapes = by_id["escapes"]
    assert escapes["text"] == "Can text hold {braces}, = equals, ~ tildes, # hashes and : colons?"
    assert escapes["options"][0] == {"text": "Yes: all of them", "correct": True, "feedback": "Escaped with a backslash."}

    assert by_id["html"]["text"] == "Is this sanitised?"  # tags and scripts gone
    assert by_id["html"]["options"][0]["text"] == "Yes"
    assert by_id["plain"]["text"] == "Plain text & symbols < > are kept."

    assert by_id["short-answer"]["type"] == "short_answer"
    assert [a["text"] for a in by_id["short-answer"]["answers"]] == ["JTAC", "The Joint Terrorism Analysis Centre"]
    assert by_id["numerical"]["answers"] == [{"value": 4, "tolerance": 0}]
    assert [p["prompt"] for p in by_id["matching"]["pairs"]] == ["Prevent", "Pursue", "Protect"]
    assert by_id["matching"]["pairs"][1]["match"] == "stop attacks"
    missing = by_id["missing-word"]  # Moodle reads it as multiple choice with a blank
    assert missing["type"] == "single" and missing["text"] == "Prevent is part of _____ strategy."

    skipped = {(s.line, s.reason.split(",")[0].split(" (")[0]) for s in result.skipped}
    assert skipped == {
        (_line("::Essay::"), "an essay question"),
        (_line("::Description::"), "a description"),
        (_line("::Two right::"), "more than one answer is marked right with =; for several right answers use ~%50% weights"),
        (_line("::Ordering::"), "an ordering question"),
    }
    QuizSchema.model_validate({"title": "t", "pass_mark": 50, "questions": result.questions}, strict=False)


def test_format_markers_html_paragraphs_and_links():
    result = parse_gift(
        "::f::[html]<p>First paragraph.</p><p>Second<br>line, see <a href=\"https://example.org/x\">the guide</a>.</p>{\n"
        "  =[plain]blue#[markdown]*Yes*, blue.\n"
        "  ~[html]<b>green</b>#[html]<p>No.</p><p>Look again.</p>\n"
        "  ~<a href\\=\"javascript\\:alert(1)\">red</a>\n"  # = escaped, as GIFT needs
        "  ####[plain]General.\n"
        "}\n"
    )
    [q] = result.questions
    assert q["text"] == "First paragraph.\nSecond\nline, see the guide (https://example.org/x)."
    assert q["options"] == [
        {"text": "blue", "correct": True, "feedback": "Yes, blue."},  # Markdown rendered
        {"text": "green", "correct": False, "feedback": "No.\nLook again."},
        {"text": "red", "correct": False},  # a script link keeps its words only
    ]
    assert q["feedback"] == "General."


def test_single_answer_partial_weights_and_numerical_forms():
    result = parse_gift(
        "::s::Closest?{=right ~%50%nearly#Half ~%-25%far ~wrong}\n\n"
        "::r::Between?{#1..5}\n\n"
        "::m::Several?{#=2015:0#Exact =%50%2015:2#Close}\n\n"
        "::pi::Pi?{#3.14159:0.0005#Right =%50%3.14:0.01#Close}\n\n"
        "::range::Range?{#\n  1..5#In range\n  =%25%0..10#Far\n}\n"
    )
    s, r, m, pi, spread = result.questions
    # The multiple numerical answers form, the first = left out: each its weight and feedback.
    assert pi["answers"] == [{"value": 3.14159, "tolerance": 0.0005, "feedback": "Right"},
                             {"value": 3.14, "tolerance": 0.01, "weight": 50, "feedback": "Close"}]
    assert spread["answers"] == [{"min": 1, "max": 5, "feedback": "In range"},
                                 {"min": 0, "max": 10, "weight": 25, "feedback": "Far"}]
    assert "feedback" not in pi and not result.skipped
    back = parse_gift(to_gift(QuizSchema.model_validate(
        {"title": "t", "pass_mark": 50, "imported_from": "gift", "questions": [pi]}), "t"))
    assert back.questions == [pi]
    assert [o.get("weight") for o in s["options"]] == [None, 50, -25, None]
    assert r["answers"] == [{"min": 1, "max": 5}]
    assert m["answers"] == [{"value": 2015, "tolerance": 0, "feedback": "Exact"},
                            {"value": 2015, "tolerance": 2, "weight": 50, "feedback": "Close"}]


@pytest.mark.parametrize(
    ("text", "line", "where"),
    [
        ("::a::Fine?{T}\n\n::b::Broken?{=a ~b\n\n::c::Also fine?{F}\n", 3, "no closing }"),
        ("::a::Fine?{T}\n\n\n::A title with no end{T}\n", 4, "title has no closing ::"),
        ("::a::Fine?{T}\n\n::b::A stray } here.\n", 3, "a closing } with no opening {"),
    ],
)
def test_a_file_that_does_not_parse_imports_nothing_and_says_where(runner, tmp_path, text, line, where):
    with pytest.raises(GiftError) as caught:
        parse_gift(text)
    assert caught.value.line == line and where in str(caught.value)
    source = tmp_path / "broken.gift"
    source.write_text(text)
    result = runner.invoke(args=["lms", "import-gift", str(source), "--slug", "broken", "--out", str(tmp_path)])
    assert result.exit_code != 0 and f"line {line}: " in result.output and "nothing was written" in result.output
    assert not (tmp_path / "broken.toml").exists()


def test_unix_endings_without_bom_read_the_same():
    assert parse_gift(EVERYTHING).questions == parse_gift(gift_bytes()).questions


def test_questions_the_pack_format_refuses_are_skipped_whole():
    result = parse_gift("::one::Only one option?{=Yes ~%35%No}\n\n::ok::Fine?{=a ~b}\n\n::none::{~%0%a ~%-50%b}\n")
    assert [q["id"] for q in result.questions] == ["ok"]
    reasons = [s.reason for s in result.skipped]
    assert "the weight 35 is not one of Moodle's grades" in reasons[0]
    assert reasons[1] == "the question has no text"
    assert [s.line for s in result.skipped] == [1, 5]


def test_duplicate_titles_get_their_own_ids():
    result = parse_gift("::Same::A?{=a ~b}\n\n::Same::B?{=a ~b}\n")
    assert [q["id"] for q in result.questions] == ["same", "same-2"]


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


def test_import_gift_command_writes_a_pack_that_check_accepts(runner, content, tmp_path):
    source = tmp_path / "bank.gift"
    source.write_bytes(gift_bytes())
    result = runner.invoke(args=["lms", "import-gift", str(source), "--slug", "imported",
                                 "--title", "Imported check", "--pass-mark", "70"])
    assert result.exit_code == 0, result.output
    assert "Imported 14 questions into" in result.output and "skipped 4" in result.output
    assert f"{source}:{_line('::Essay::')}: skipped: an essay question" in result.output
    pack = tomllib.loads((content.root / "quizzes" / "imported.toml").read_text())
    assert pack["title"] == "Imported check" and pack["pass_mark"] == 70
    assert len(pack["questions"]) == 14
    check = runner.invoke(args=["lms", "sync-content", "--check"])
    assert check.exit_code == 0, check.output

    again = runner.invoke(args=["lms", "import-gift", str(source), "--slug", "imported"])
    assert again.exit_code != 0 and "exists already" in again.output


def test_control_characters_in_a_question_make_a_pack_that_loads(runner, content, tmp_path):
    """TOML refuses DEL (U+007F) and the other control characters written as they are."""
    odd = "\x7f\x01\x1b\x08"
    source = tmp_path / "odd.gift"
    source.write_text(f"::odd::Is this{odd} text odd?{{\n  =Yes{odd}#Right{odd}\n  ~No\n}}\n\n"
                      f"::tf::True{odd}?{{T####Yes{odd}.}}\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-gift", str(source), "--slug", "odd", "--title", f"Odd{odd}"])
    assert result.exit_code == 0, result.output
    pack = tomllib.loads((content.root / "quizzes" / "odd.toml").read_text(encoding="utf-8"))
    assert pack["title"] == f"Odd{odd}"
    assert [q["text"] for q in pack["questions"]] == [f"Is this{odd} text odd?", f"True{odd}?"]
    assert pack["questions"][0]["options"][0]["text"] == f"Yes{odd}"
    loaded = runner.invoke(args=["lms", "sync-content"])
    assert loaded.exit_code == 0, loaded.output
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "odd"))
    assert [q.text for q in quiz.current_version.questions] == [f"Is this{odd} text odd?", f"True{odd}?"]


def test_import_gift_bad_input(runner, tmp_path):
    empty = tmp_path / "empty.gift"
    empty.write_text("// nothing here\n\n::d::Just a description.\n")
    result = runner.invoke(args=["lms", "import-gift", str(empty), "--slug", "x", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "nothing was written" in result.output
    assert not (tmp_path / "x.toml").exists()
    result = runner.invoke(args=["lms", "import-gift", str(empty), "--slug", "Bad Slug"])
    assert result.exit_code != 0 and "lower-case letters" in result.output
    binary = tmp_path / "bin.gift"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = runner.invoke(args=["lms", "import-gift", str(binary), "--slug", "x", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output
    result = runner.invoke(args=["lms", "export-gift", "nope"])
    assert result.exit_code != 0 and "no valid quiz pack named nope" in result.output


ROUND_TRIP = r"""
title = "Round trip"
pass_mark = 80
[[questions]]
id = "single-one"
type = "single"
text = "Which: {braces}, = signs, ~ tildes, # hashes and : colons?"
feedback = "Feedback with special ~ = # { } : characters\nand a second line."
options = [
  { text = "Right: = ~", correct = true },
  { text = "Wrong #1" },
  { text = "Wrong {2}" },
]
[[questions]]
id = "multiple-partial"
type = "multiple"
text = "Select the three."
feedback = "Three of five."
partial = true
options = [
  { text = "a", correct = true },
  { text = "b", correct = true },
  { text = "c", correct = true },
  { text = "d" },
  { text = "e" },
]
[[questions]]
id = "multiple-strict"
type = "multiple"
text = "Select one of these two."
feedback = "Only one."
options = [
  { text = "this", correct = true },
  { text = "that" },
]
[[questions]]
id = "tf-yes"
type = "true_false"
text = "True?"
answer = true
feedback = "Yes."
[[questions]]
id = "tf-no"
type = "true_false"
text = "False?"
answer = false
feedback = "No."
"""


def test_round_trip_keeps_everything(runner, content, tmp_path):
    content.quiz("trip", ROUND_TRIP)
    out = tmp_path / "trip.gift"
    result = runner.invoke(args=["lms", "export-gift", "trip", "--out", str(out)])
    assert result.exit_code == 0, result.output
    gift = out.read_text()
    assert "~%33.33333%a" in gift and "~%-50%d" in gift and "####Three of five." in gift
    assert "::tf-no::False?{FALSE####No.}" in gift
    printed = runner.invoke(args=["lms", "export-gift", "trip"])
    assert printed.output == gift

    result = runner.invoke(args=["lms", "import-gift", str(out), "--slug", "trip-back",
                                 "--title", "Round trip", "--out", str(tmp_path / "back")])
    assert result.exit_code == 0, result.output
    original = QuizSchema.model_validate(tomllib.loads(ROUND_TRIP))
    back = QuizSchema.model_validate(tomllib.loads((tmp_path / "back" / "trip-back.toml").read_text()))
    assert back.questions == original.questions
    assert to_gift(back, "trip") == to_gift(original, "trip")


# As Moodle's own GIFT export writes questions: a `// question:` comment, the name as the
# title, HTML text, and general feedback only where the question has some.
FROM_MOODLE = r"""// question: 0  name: Switch category to $course$/top/Default for Prevent
$CATEGORY: $course$/top/Default for Prevent


// question: 101  name: Q1
::Q1::[html]<p>Which strategy is Prevent part of?</p>{
	=CONTEST#Yes.
	~Channel#No, Channel is a support programme.
	~%50%The counter-terrorism strategy#Half right.
}


// question: 102  name: Q2
::Q2::[html]Which are CONTEST strands?{
	~%50%Pursue
	~%50%Protect
	~%-100%Prosecute#Not a strand.
}


// question: 103  name: Q3 (true or false)
::Q3 (true or false)::[html]Channel is voluntary.{TRUE#Think again.#Yes.}


// question: 104  name: Q4
::Q4::[html]Who sets the threat level?{
	=JTAC
	=%50%MI5#Half.
}


// question: 105  name: Q5
::Q5::[html]In which year did the duty begin?{#
	=2015:0#Right.
	=%50%2015:1#Close.
}


// question: 106  name: Q6
::Q6::[html]Match the strands.{
	=Prevent -> stop people being drawn in
	=Pursue -> stop attacks
}


// question: 107  name: Q7
::Q7::[html]What does Prevent aim to do?{
	=Stop people being drawn into terrorism
	~Prosecute offenders
	####The Prevent duty is about safeguarding.
}
"""


def test_a_file_from_moodle_comes_back_as_it_was(runner, content, tmp_path):
    """Import then export: the same questions, options, weights, feedback and names, and no
    general feedback (which Moodle shows every learner) where the file had none."""
    source = tmp_path / "moodle.gift"
    source.write_text(FROM_MOODLE, encoding="utf-8")
    result = runner.invoke(args=["lms", "import-gift", str(source), "--slug", "from-moodle"])
    assert result.exit_code == 0, result.output
    pack = tomllib.loads((content.root / "quizzes" / "from-moodle.toml").read_text())
    assert pack["imported_from"] == "gift"
    assert [(q["id"], q.get("name")) for q in pack["questions"]] == [
        ("q1", "Q1"), ("q2", "Q2"), ("q3-true-or-false", "Q3 (true or false)"), ("q4", "Q4"),
        ("q5", "Q5"), ("q6", "Q6"), ("q7", "Q7")]
    assert ["feedback" in q for q in pack["questions"]] == [False] * 6 + [True]
    check = runner.invoke(args=["lms", "sync-content"])
    assert check.exit_code == 0, check.output

    out = tmp_path / "back.gift"
    assert runner.invoke(args=["lms", "export-gift", "from-moodle", "--out", str(out)]).exit_code == 0
    exported = out.read_text()
    assert exported.count("####") == 1 and "The correct answer" not in exported
    assert "::Q3 (true or false)::Channel is voluntary.{TRUE#Think again.#Yes.}" in exported
    original, back = parse_gift(FROM_MOODLE), parse_gift(exported)
    assert back.questions == original.questions and not back.skipped


def test_a_pack_without_feedback_is_refused_unless_imported(content):
    from lms.packs.errors import PackInvalid
    from lms.packs.quiz import QuizKind
    from lms.packs.registry import PackSource

    body = 'title = "T"\npass_mark = 50\n[[questions]]\nid = "q"\ntype = "true_false"\ntext = "True?"\nanswer = true\n'
    path = content.quiz("no-feedback", body)
    source = PackSource("quiz", "no-feedback", path, None)
    with pytest.raises(PackInvalid) as caught:
        QuizKind().load(source)
    [error] = caught.value.errors
    assert error.field == "questions[1].feedback" and error.line == 3 and "only a pack imported" in error.message
    content.quiz("no-feedback", body.replace("pass_mark = 50", 'pass_mark = 50\nimported_from = "gift"'))
    assert QuizKind().load(source).data.questions[0].feedback is None


def test_markdown_answers_and_feedback_read_as_rendered():
    result = parse_gift(
        "::md::[markdown]Which is **right**?{\n"
        "  =[markdown]The `Prevent` _duty_#[markdown]See [the guidance](https://example.org/p).\n"
        "  ~[markdown]A \\*literal\\* star#[markdown]- one\n"
        "}\n"
    )
    [q] = result.questions
    assert q["text"] == "Which is right?"
    assert q["options"] == [
        {"text": "The Prevent duty", "correct": True, "feedback": "See the guidance (https://example.org/p)."},
        {"text": "A *literal* star", "correct": False, "feedback": "one"},
    ]
