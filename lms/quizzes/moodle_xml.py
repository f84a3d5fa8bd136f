"""Moodle XML, the format Moodle's question bank imports and exports: read a file into quiz
pack questions, write a pack back.

Read with defusedxml (no entities, no external references, no bombs). Every text Moodle
holds as HTML, CDATA or not, is cleaned with nh3 and then reduced to the plain text a pack
holds (paragraphs on their own lines, a link's address kept, as for GIFT). The types are the
ones the quiz engine marks: multichoice (one answer or several, with Moodle's fractions),
truefalse, shortanswer, numerical and matching, each answer with its own feedback. A
question of another type, or one that shows an image, is skipped with its line and why;
a file that is not well-formed XML imports nothing and says where.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET  # noqa: S405 (only to write; reading uses defusedxml)
from pathlib import Path

import nh3
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..packs import grades
from ..packs.schemas import QuizSchema
from .gift import (
    GiftError,
    Imported,
    Read,
    _html_text,
    _markdown_text,
    _num,
    _share_weights,
    _Skip,
    collect,
    write_pack,
)

SKIPPED_TYPES = {
    "essay": "an essay question, which the quiz engine does not mark",
    "description": "a description (text with no answers), which the quiz engine does not mark",
    "multianswer": "an embedded-answers (cloze) question, which the quiz engine does not mark",
    "calculated": "a calculated question, which the quiz engine does not mark",
    "calculatedsimple": "a calculated question, which the quiz engine does not mark",
    "calculatedmulti": "a calculated question, which the quiz engine does not mark",
    "ddwtos": "a drag-and-drop question, which the quiz engine does not mark",
    "ddimageortext": "a drag-and-drop question, which the quiz engine does not mark",
    "ddmarker": "a drag-and-drop question, which the quiz engine does not mark",
    "gapselect": "a select-missing-words question, which the quiz engine does not mark",
    "ordering": "an ordering question (items to put in order), which the quiz engine does not mark",
    "randomsamatch": "a random short-answer matching question, which the quiz engine does not mark",
    "random": "a random question (drawn from a category), which the quiz engine does not mark",
}


class MoodleXmlError(GiftError):
    """A file that cannot be read as Moodle XML at all: nothing is imported from it."""


# -- reading ---------------------------------------------------------------------------------


def _text(element: ET.Element | None, one_line: bool = False) -> str:
    """The plain text of a Moodle text element (`<questiontext format="html"><text>`)."""
    if element is None:
        return ""
    inner = element.find("text")
    raw = (inner.text if inner is not None else element.text) or ""
    fmt = element.get("format", "html")
    if fmt == "markdown":
        raw = _markdown_text(raw)
    elif fmt in ("html", "moodle_auto_format") or re.search(r"<[a-zA-Z/][^>]*>", raw):
        raw = _html_text(nh3.clean(raw))
    lines = [" ".join(part.split()) for part in raw.replace("\r", "").split("\n")]
    return (" " if one_line else "\n").join(line for line in lines if line).strip()


def _images(question: ET.Element) -> list[str]:
    """The pictures a question shows or carries: embedded files and <img> in any text."""
    names = [f.get("name") or "a file" for f in question.iter("file")]
    for text in question.iter("text"):
        names += re.findall(r"<img\b[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", text.text or "", re.I)
    return [n.replace("@@PLUGINFILE@@/", "") for n in names]


def _fraction(answer: ET.Element) -> float:
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        raise _Skip(f"the answer fraction {answer.get('fraction')!r} is not a number") from None


def _weight(fraction: float) -> float:
    try:
        return grades.normal(fraction)
    except grades.NotAGrade as exc:
        raise _Skip(str(exc)) from None


def _with_feedback(item: dict, answer: ET.Element) -> dict:
    feedback = _text(answer.find("feedback"))
    if feedback:
        item["feedback"] = feedback
    return item


def _multichoice(question: ET.Element) -> dict:
    answers = question.findall("answer")
    single = (question.findtext("single") or "true").strip().lower() in ("true", "1")
    options = []
    if single:
        rights = [a for a in answers if _fraction(a) >= 100]
        if len(rights) != 1:
            raise _Skip(f"a one-answer question needs exactly one answer worth 100%, not {len(rights)}")
        for a in answers:
            option = {"text": _text(a, True), "correct": a in rights}
            if a not in rights and _fraction(a):
                option["weight"] = _weight(_fraction(a))
            options.append(_with_feedback(option, a))
        return {"type": "single", "options": options}
    for a in answers:
        options.append(_with_feedback({"text": _text(a, True), "weight": _weight(_fraction(a))}, a))
    return {"type": "multiple", "options": options}


def _truefalse(question: ET.Element) -> dict:
    found = {}
    for a in question.findall("answer"):
        word = _text(a, True).lower()
        if word not in ("true", "false"):
            raise _Skip(f"a true/false answer reads {word!r}, not true or false")
        found[word] = a
    if set(found) != {"true", "false"}:
        raise _Skip("a true/false question needs a true and a false answer")
    item = {"type": "true_false", "answer": _fraction(found["true"]) >= 100}
    for word, answer in found.items():
        feedback = _text(answer.find("feedback"))
        if feedback:
            item[f"feedback_{word}"] = feedback
    return item


def _shortanswer(question: ET.Element) -> dict:
    accepted = []
    for a in question.findall("answer"):
        fraction = _fraction(a)
        if fraction <= 0:
            continue  # an answer worth nothing is marked wrong, as any other is
        item = {"text": _text(a, True)}
        if fraction != 100:
            item["weight"] = _weight(fraction)
        accepted.append(_with_feedback(item, a))
    return {"type": "short_answer", "answers": accepted}


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise _Skip(f"the numerical answer {text.strip()!r} is not a number") from None


def _numerical(question: ET.Element) -> dict:
    answers = []
    for a in question.findall("answer"):
        fraction = _fraction(a)
        value = _text(a, True)
        if fraction <= 0 or value == "*":
            continue  # "*" (any other answer) only carries feedback for a wrong one
        item = {"value": _number(value)}
        tolerance = _number(a.findtext("tolerance") or "0")
        if tolerance:
            item["tolerance"] = abs(tolerance)
        if fraction != 100:
            item["weight"] = _weight(fraction)
        answers.append(_with_feedback(item, a))
    return {"type": "numerical", "answers": answers}


def _matching(question: ET.Element) -> dict:
    pairs = []
    for sub in question.findall("subquestion"):
        prompt = _text(sub, True)
        match = _text(sub.find("answer"), True)
        if not prompt:
            raise _Skip("a matching question with an extra answer that matches no prompt, which the quiz engine does not offer")
        pairs.append({"prompt": prompt, "match": match})
    return {"type": "matching", "pairs": pairs}


def _losses(question: ET.Element, kind: str) -> list[str]:
    """What the quiz engine marks differently from Moodle in a question it imports: said as
    a warning beside the import, never dropped silently."""
    lost = []
    if kind == "shortanswer" and (question.findtext("usecase") or "0").strip() == "1":
        lost.append(
            "Moodle marks it case-sensitively, and here capital letters do not count: an "
            "answer in other capitals earns the mark too"
        )
    if kind == "numerical":
        units = [(u.findtext("unit_name") or "").strip() for u in question.iter("unit")]
        units = [u for u in units if u]
        if units:
            lost.append(
                f"its units ({', '.join(units)}) are left out: a person types the number alone, "
                "so say the unit in the question's text"
            )
    return lost


READERS = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
}


def _question_lines(text: str) -> list[int]:
    """The line of each <question> start tag, in document order (ElementTree keeps none)."""
    masked = re.sub(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    return [masked.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<question\b", masked)]


def parse_moodle_xml(data: bytes) -> Imported:
    """Every question in a Moodle XML file, as quiz pack questions, and the ones skipped."""
    try:
        root = fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise MoodleXmlError(line, f"not well-formed XML (column {column + 1})") from None
    except DefusedXmlException as exc:
        raise MoodleXmlError(None, f"refused: {exc}") from None
    if root.tag != "quiz":
        raise MoodleXmlError(1, f"the root element is <{root.tag}>; Moodle XML has <quiz>")
    lines = _question_lines(data.decode("utf-8", errors="replace"))
    entries = [
        (lines[index] if index < len(lines) else 0, functools.partial(_read, question))
        for index, question in enumerate(root.findall("question"))
        if question.get("type", "") != "category"
    ]
    return collect(entries, "moodle_xml")


def _read(question: ET.Element) -> Read:
    """One <question>, or _Skip with the reason the quiz engine cannot take it."""
    kind = question.get("type", "")
    if kind in SKIPPED_TYPES:
        raise _Skip(SKIPPED_TYPES[kind])
    if kind not in READERS:
        raise _Skip(f"a question of type {kind!r}, which the quiz engine does not mark")
    pictures = _images(question)
    if pictures:
        raise _Skip(
            f"it shows a picture ({', '.join(pictures[:3])}), which a quiz question here "
            "cannot show: put the picture in a lesson and refer to it"
        )
    item = READERS[kind](question)
    item["text"] = _text(question.find("questiontext"))
    if not item["text"]:
        raise _Skip("the question has no text")
    general = _text(question.find("generalfeedback"))
    if general:
        item["feedback"] = general
    return Read(item, _text(question.find("name"), True), _losses(question, kind))


def import_moodle_xml(source: Path, slug: str, title: str, pass_mark: int, out_dir: Path) -> tuple[Path, Imported]:
    """Read a Moodle XML file and write `out_dir/slug.toml`; nothing is written when no
    question could be imported."""
    result = parse_moodle_xml(source.read_bytes())
    return write_pack(result, slug, title, pass_mark, out_dir, "moodle_xml"), result


# -- writing ---------------------------------------------------------------------------------


def _text_element(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "plain_text", **attrs})
    ET.SubElement(element, "text").text = text
    return element


def _answer(parent: ET.Element, fraction: float | str, text: str, feedback: str | None) -> ET.Element:
    fraction = fraction if isinstance(fraction, str) else _fraction_text(fraction)
    answer = _text_element(parent, "answer", text, fraction=fraction)
    _text_element(answer, "feedback", feedback or "")
    return answer


def _fraction_text(weight: float) -> str:
    try:
        return grades.written(weight)
    except grades.NotAGrade:
        return f"{weight:.7f}".rstrip("0").rstrip(".")


def _question(root: ET.Element, q) -> None:
    kinds = {"single": "multichoice", "multiple": "multichoice", "true_false": "truefalse",
             "short_answer": "shortanswer", "numerical": "numerical", "matching": "matching"}
    element = ET.SubElement(root, "question", type=kinds[q.type])
    name = ET.SubElement(element, "name")
    ET.SubElement(name, "text").text = q.name or q.id
    _text_element(element, "questiontext", q.text)
    _text_element(element, "generalfeedback", q.feedback or "")
    ET.SubElement(element, "defaultgrade").text = "1"
    ET.SubElement(element, "penalty").text = "0"
    ET.SubElement(element, "hidden").text = "0"
    if q.type in ("single", "multiple"):
        ET.SubElement(element, "single").text = "true" if q.type == "single" else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "none"
        if q.type == "single":
            weights = [100 if o.correct else (o.weight or 0) for o in q.options]
        else:
            weights = [o.weight for o in q.options] if q.weighted else _share_weights(q)
        for option, weight in zip(q.options, weights, strict=True):
            _answer(element, weight, option.text, option.feedback)
    elif q.type == "true_false":
        _answer(element, 100 if q.answer else 0, "true", q.feedback_true)
        _answer(element, 0 if q.answer else 100, "false", q.feedback_false)
    elif q.type == "short_answer":
        ET.SubElement(element, "usecase").text = "0"
        for a in q.answers:
            _answer(element, a.weight, a.text, a.feedback)
    elif q.type == "numerical":
        for a in q.answers:
            if a.value is not None:
                value, tolerance = a.value, a.tolerance or 0
            else:  # Moodle holds a range as its middle and half its width
                value, tolerance = (a.min + a.max) / 2, (a.max - a.min) / 2
            answer = _answer(element, a.weight, _num(value), a.feedback)
            ET.SubElement(answer, "tolerance").text = _num(tolerance)
    else:
        ET.SubElement(element, "shuffleanswers").text = "true"
        for pair in q.pairs:
            sub = _text_element(element, "subquestion", pair.prompt)
            answer = ET.SubElement(sub, "answer")
            ET.SubElement(answer, "text").text = pair.match


def to_moodle_xml(quiz: QuizSchema, slug: str) -> str:
    """A quiz pack as Moodle XML, in a category named after the pack: every question with
    its type, each answer's fraction (Moodle's own numbers) and feedback, and the general
    feedback. Quiz settings (pass mark, draw, attempts) are not question-bank data: they
    stay in the pack."""
    root = ET.Element("quiz")
    root.append(ET.Comment(f" {quiz.title}: exported from the LMS quiz pack {slug} "))
    category = ET.SubElement(root, "question", type="category")
    ET.SubElement(ET.SubElement(category, "category"), "text").text = f"$course$/top/{slug}"
    for q in quiz.questions:
        _question(root, q)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
