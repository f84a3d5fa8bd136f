"""Moodle XML import and export: each type the engine marks with its fractions and each
answer's feedback, CDATA and HTML cleaned, pictures and other types skipped with their line,
a broken file refused whole, and an export that imports back the same questions."""

from __future__ import annotations

import tomllib

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Quiz
from lms.packs.schemas import QuizSchema
from lms.quizzes.moodle_xml import MoodleXmlError, parse_moodle_xml, to_moodle_xml

from .test_question_types import TYPES

# Written for these tests, to the element names Moodle documents for its XML format.
BANK = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Prevent</text></category>
  </question>

  <question type="multichoice">
    <name><text>Strategy</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Prevent is one strand of which strategy?</p><script>alert(1)</script>]]></text>
    </questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>See <a href="https://example.org/contest">CONTEST</a>.</p>]]></text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>CONTEST</text>
      <feedback format="html"><text>Right.</text></feedback></answer>
    <answer fraction="50" format="html"><text>The counter-terrorism plan</text>
      <feedback format="html"><text>Close: half.</text></feedback></answer>
    <answer fraction="0" format="html"><text>The Equality Act</text><feedback><text></text></feedback></answer>
  </question>

  <question type="multichoice">
    <name><text>Strands</text></name>
    <questiontext format="plain_text"><text>Which are strands of CONTEST?</text></questiontext>
    <single>false</single>
    <answer fraction="33.33333"><text>Pursue</text></answer>
    <answer fraction="33.33333"><text>Protect</text></answer>
    <answer fraction="33.33333"><text>Prepare</text></answer>
    <answer fraction="-100"><text>Prosecute</text><feedback><text>Not a strand.</text></feedback></answer>
  </question>

  <question type="truefalse">
    <name><text>Voluntary</text></name>
    <questiontext format="html"><text>Channel support is voluntary.</text></questiontext>
    <answer fraction="100"><text>true</text><feedback><text>Yes: consent is needed.</text></feedback></answer>
    <answer fraction="0"><text>false</text><feedback><text>It is voluntary.</text></feedback></answer>
  </question>

  <question type="shortanswer">
    <name><text>Initials</text></name>
    <questiontext format="html"><text>Which body sets the threat level?</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>JTAC</text></answer>
    <answer fraction="50"><text>MI5</text><feedback><text>Half.</text></feedback></answer>
  </question>

  <question type="numerical">
    <name><text>Year</text></name>
    <questiontext format="html"><text>In which year did the duty become law?</text></questiontext>
    <answer fraction="100"><text>2015</text><tolerance>0</tolerance><feedback><text>Right.</text></feedback></answer>
    <answer fraction="50"><text>2015</text><tolerance>1</tolerance></answer>
    <answer fraction="0"><text>*</text><feedback><text>Think of the Act.</text></feedback></answer>
  </question>

  <question type="matching">
    <name><text>Pairs</text></name>
    <questiontext format="html"><text>Match each strand.</text></questiontext>
    <subquestion format="html"><text>Prevent</text><answer><text>Stop people being drawn in</text></answer></subquestion>
    <subquestion format="html"><text>Pursue</text><answer><text>Stop attacks</text></answer></subquestion>
  </question>

  <question type="essay">
    <name><text>Essay</text></name>
    <questiontext format="html"><text>Describe the duty.</text></questiontext>
  </question>

  <question type="multichoice">
    <name><text>Picture</text></name>
    <questiontext format="html"><text><![CDATA[<p>Which sign is this? <img src="@@PLUGINFILE@@/sign.png"></p>]]></text>
      <file name="sign.png" path="/" encoding="base64">iVBORw0KGgo=</file></questiontext>
    <single>true</single>
    <answer fraction="100"><text>A</text></answer>
    <answer fraction="0"><text>B</text></answer>
  </question>
</quiz>
"""


def _line(marker: str) -> int:
    return next(n for n, line in enumerate(BANK.split("\n"), start=1) if marker in line) - 1


def test_reads_each_type_with_fractions_and_feedback():
    result = parse_moodle_xml(BANK.encode())
    by_id = {q["id"]: q for q in result.questions}
    assert list(by_id) == ["strategy", "strands", "voluntary", "initials", "year", "pairs"]
    strategy = by_id["strategy"]
    assert strategy["text"] == "Prevent is one strand of which strategy?"  # script gone
    assert strategy["feedback"] == "See CONTEST (https://example.org/contest)."
    assert strategy["options"] == [
        {"text": "CONTEST", "correct": True, "feedback": "Right."},
        {"text": "The counter-terrorism plan", "correct": False, "weight": 50, "feedback": "Close: half."},
        {"text": "The Equality Act", "correct": False},
    ]
    assert [o["weight"] for o in by_id["strands"]["options"]] == [33.33333, 33.33333, 33.33333, -100]
    voluntary = by_id["voluntary"]
    assert (voluntary["answer"], voluntary["feedback_true"], voluntary["feedback_false"]) == (
        True, "Yes: consent is needed.", "It is voluntary.")
    assert by_id["initials"]["answers"] == [{"text": "JTAC"}, {"text": "MI5", "weight": 50, "feedback": "Half."}]
    assert by_id["year"]["answers"] == [{"value": 2015, "feedback": "Right."},
                                        {"value": 2015, "tolerance": 1, "weight": 50}]
    assert by_id["pairs"]["pairs"][1] == {"prompt": "Pursue", "match": "Stop attacks"}
    skipped = {(s.line, s.reason.split(" (")[0].split(",")[0]) for s in result.skipped}
    assert skipped == {(_line("<name><text>Essay"), "an essay question"),
                       (_line("<name><text>Picture"), "it shows a picture")}
    assert "sign.png" in result.skipped[1].reason
    QuizSchema.model_validate({"title": "t", "pass_mark": 50, "questions": result.questions}, strict=False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<quiz>\n<question type='truefalse'>\n</quiz>", "line 3: not well-formed XML"),
        (b"<questions/>", "the root element is <questions>"),
        (b'<!DOCTYPE q [<!ENTITY a "aaaa">]><quiz>&a;</quiz>', "refused"),
    ],
)
def test_a_file_that_does_not_parse_imports_nothing(data, message):
    with pytest.raises(MoodleXmlError, match=message):
        parse_moodle_xml(data)


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


def test_commands_import_sync_and_export_back_the_same(runner, content, tmp_path):
    source = tmp_path / "bank.xml"
    source.write_text(BANK, encoding="utf-8")
    result = runner.invoke(args=["lms", "import-moodle-xml", str(source), "--slug", "bank"])
    assert result.exit_code == 0, result.output
    assert "Imported 6 questions" in result.output and "skipped 2" in result.output
    assert f"{source}:{_line('<name><text>Essay')}: skipped: an essay question" in result.output
    assert runner.invoke(args=["lms", "sync-content"]).exit_code == 0
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "bank"))
    assert [q.type for q in quiz.current_version.questions] == [
        "single", "multiple", "true_false", "short_answer", "numerical", "matching"]

    content.quiz("kinds", TYPES)
    out = tmp_path / "kinds.xml"
    assert runner.invoke(args=["lms", "export-moodle-xml", "kinds", "--out", str(out)]).exit_code == 0
    xml = out.read_text()
    assert '<answer format="plain_text" fraction="50">' in xml and "<tolerance>1</tolerance>" in xml
    assert 'fraction="-100"' in xml and "<usecase>0</usecase>" in xml
    back = runner.invoke(args=["lms", "import-moodle-xml", str(out), "--slug", "kinds-back", "--out", str(tmp_path)])
    assert back.exit_code == 0, back.output
    original = QuizSchema.model_validate(tomllib.loads(TYPES))
    again = QuizSchema.model_validate(tomllib.loads((tmp_path / "kinds-back.toml").read_text()))
    # The same questions; Moodle holds a range as its middle give or take half its width.
    for before, after in zip(original.questions, again.questions, strict=True):
        if before.id == "range":
            assert (after.answers[0].value, after.answers[0].tolerance) == (2, 1)
            continue
        assert after == before, before.id
    assert to_moodle_xml(again, "kinds").count("<question ") == to_moodle_xml(original, "kinds").count("<question ")

    broken = tmp_path / "broken.xml"
    broken.write_text("<quiz>\n<question>\n")
    result = runner.invoke(args=["lms", "import-moodle-xml", str(broken), "--slug", "broken", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "not well-formed XML" in result.output and "nothing was written" in result.output
    assert not (tmp_path / "broken.toml").exists()


# As Moodle's question bank exports: every question named, general feedback empty unless set.
FROM_MOODLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Default</text></category></question>
  <question type="multichoice">
    <name><text>Q1</text></name>
    <questiontext format="html"><text><![CDATA[<p>Which strategy is Prevent part of?</p>]]></text></questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>CONTEST</text><feedback format="html"><text>Yes.</text></feedback></answer>
    <answer fraction="0" format="html"><text>Channel</text><feedback format="html"><text></text></feedback></answer>
  </question>
  <question type="multichoice">
    <name><text>Q2 strands</text></name>
    <questiontext format="html"><text>Which are CONTEST strands?</text></questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <single>false</single>
    <answer fraction="50"><text>Pursue</text></answer>
    <answer fraction="50"><text>Protect</text></answer>
    <answer fraction="-100"><text>Prosecute</text><feedback><text>Not a strand.</text></feedback></answer>
  </question>
  <question type="truefalse">
    <name><text>Q3</text></name>
    <questiontext format="html"><text>Channel is voluntary.</text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Consent is needed.</p>]]></text></generalfeedback>
    <answer fraction="100"><text>true</text><feedback><text>Yes.</text></feedback></answer>
    <answer fraction="0"><text>false</text><feedback><text></text></feedback></answer>
  </question>
  <question type="shortanswer">
    <name><text>Q4</text></name>
    <questiontext format="html"><text>Who sets the threat level?</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>JTAC</text></answer>
  </question>
</quiz>
"""


def test_a_file_from_moodle_comes_back_as_it_was(runner, content, tmp_path):
    """Import then export: the same questions, weights, feedback and names, and an empty
    general feedback where the file had one (Moodle would show an invented one to all)."""
    source = tmp_path / "moodle.xml"
    source.write_text(FROM_MOODLE, encoding="utf-8")
    result = runner.invoke(args=["lms", "import-moodle-xml", str(source), "--slug", "from-moodle"])
    assert result.exit_code == 0, result.output
    pack = tomllib.loads((content.root / "quizzes" / "from-moodle.toml").read_text())
    assert pack["imported_from"] == "moodle_xml"
    assert [(q["id"], q.get("name"), q.get("feedback")) for q in pack["questions"]] == [
        ("q1", "Q1", None), ("q2-strands", "Q2 strands", None), ("q3", "Q3", "Consent is needed."), ("q4", "Q4", None)]
    assert runner.invoke(args=["lms", "sync-content"]).exit_code == 0

    out = tmp_path / "back.xml"
    assert runner.invoke(args=["lms", "export-moodle-xml", "from-moodle", "--out", str(out)]).exit_code == 0
    exported = out.read_text()
    assert "<text>Q2 strands</text>" in exported and "The correct answer" not in exported
    original, back = parse_moodle_xml(FROM_MOODLE.encode()), parse_moodle_xml(exported.encode())
    assert back.questions == original.questions and not back.skipped


LOSSY = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="shortanswer">
    <name><text>Initials</text></name>
    <questiontext format="html"><text>Which body sets the threat level?</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>JTAC</text></answer>
  </question>
  <question type="numerical">
    <name><text>Distance</text></name>
    <questiontext format="html"><text>How far?</text></questiontext>
    <answer fraction="100"><text>5</text><tolerance>0</tolerance></answer>
    <units>
      <unit><multiplier>1</multiplier><unit_name>m</unit_name></unit>
      <unit><multiplier>100</multiplier><unit_name>cm</unit_name></unit>
    </units>
  </question>
  <question type="shortanswer">
    <name><text>Any case</text></name>
    <questiontext format="html"><text>Which body?</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>JTAC</text></answer>
  </question>
</quiz>
"""


def test_case_sensitive_answers_and_units_are_imported_with_a_warning(runner, tmp_path):
    result = parse_moodle_xml(LOSSY.encode())
    assert [q["id"] for q in result.questions] == ["initials", "distance", "any-case"] and not result.skipped
    assert [(w.line, w.reason.split(",")[0].split(" (")[0]) for w in result.warnings] == [
        (3, "Moodle marks it case-sensitively"), (9, "its units")]
    assert "(m, cm)" in result.warnings[1].reason
    source = tmp_path / "lossy.xml"
    source.write_text(LOSSY, encoding="utf-8")
    out = runner.invoke(args=["lms", "import-moodle-xml", str(source), "--slug", "lossy", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert f"{source}:3: imported, but Moodle marks it case-sensitively" in out.output
    assert f"{source}:9: imported, but its units (m, cm) are left out" in out.output
    assert "Imported 3 questions" in out.output


def test_markdown_text_reads_as_rendered():
    data = b"""<quiz><question type="truefalse"><name><text>md</text></name>
      <questiontext format="markdown"><text>Is **this** bold?</text></questiontext>
      <answer fraction="100"><text>true</text><feedback format="markdown"><text>*Yes*.</text></feedback></answer>
      <answer fraction="0"><text>false</text></answer></question></quiz>"""
    [q] = parse_moodle_xml(data).questions
    assert (q["text"], q["feedback_true"]) == ("Is this bold?", "Yes.")
