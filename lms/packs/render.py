"""Lesson Markdown to safe HTML, once per content version at sync (never per request).

Markdown (tables, fenced code, heading anchors, footnotes) is rendered first, then nh3 keeps
only the allow-listed tags, attributes and URL schemes below: no script, no event handlers,
no `javascript:` URLs, no style. Images must be files of the course's `images/` folder and
are rewritten to their content-hashed URLs.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET  # noqa: S405 -- builds trees, parses nothing
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify as toc_slugify
from markdown.treeprocessors import Treeprocessor

IMAGE_URL_PREFIX = "/course-images/"
IMAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(png|jpg|jpeg|svg)$")
HEADING_ID_PREFIX = "section-"

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "scope", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "li": {"id"},
    "sup": {"id"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
CLASSES = {"a": {"footnote-ref", "footnote-backref"}, "div": {"footnote"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
ID_PREFIXES = (HEADING_ID_PREFIX, "fn:", "fnref:")


@dataclass
class RenderedLesson:
    title: str | None
    html: str
    images: list[str] = field(default_factory=list)  # names of images the lesson shows
    problems: list[tuple[str, str]] = field(default_factory=list)  # (image link, what is wrong)


def image_url(content_hash: str, name: str) -> str:
    return f"{IMAGE_URL_PREFIX}{content_hash}/{name}"


def _slugify(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + (toc_slugify(value, separator) or "heading")


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        return value if value.startswith(IMAGE_URL_PREFIX) else None
    if attribute == "id":
        return value if value.startswith(ID_PREFIXES) else None
    return value


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


class _LessonTree(Treeprocessor):
    """Takes the first top-level heading out as the title and checks every image link."""

    def __init__(self, md, images: dict[str, str], result: RenderedLesson):
        super().__init__(md)
        self.images = images
        self.result = result

    def run(self, root: ET.Element) -> None:
        for child in list(root):
            if child.tag == "h1":
                self.result.title = "".join(child.itertext()).strip() or None
                root.remove(child)
                break
        for img in root.iter("img"):
            img.set("src", self._image_src(img.get("src", "")))

    def _image_src(self, src: str) -> str:
        problem = None
        name = ""
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith("//"):
            problem = "images must be files in the course's images/ folder, not web addresses"
        else:
            path = posixpath.normpath(src.split("?")[0].split("#")[0])
            if src.startswith("/") or path.startswith("..") or "\\" in src:
                problem = "image link leaves the course folder; use images/<file name>"
            elif posixpath.dirname(path) != "images":
                problem = "images must be in the course's images/ folder: images/<file name>"
            else:
                name = posixpath.basename(path)
                if not IMAGE_NAME.match(name):
                    problem = "images must be .png, .jpg or .svg files"
                elif name not in self.images:
                    problem = f"there is no file images/{name} in this course"
        if problem:
            self.result.problems.append((src, problem))
            return ""
        self.result.images.append(name)
        return image_url(self.images[name], name)


class _LessonExtension(Extension):
    def __init__(self, images: dict[str, str], result: RenderedLesson):
        super().__init__()
        self.images = images
        self.result = result

    def extendMarkdown(self, md) -> None:  # noqa: N802 -- Markdown's API
        # After "inline" (images exist) and before "toc", which would otherwise anchor the H1.
        md.treeprocessors.register(_LessonTree(md, self.images, self.result), "lms_lesson", 15)


def render_lesson(text: str, images: dict[str, str]) -> RenderedLesson:
    """Render one lesson. `images` maps the course's image file names to their hashes."""
    result = RenderedLesson(title=None, html="")
    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "footnotes",
            "toc",
            "sane_lists",
            _LessonExtension(images, result),
        ],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "toc": {"slugify": _slugify},
        },
        output_format="html",
    )
    result.html = sanitise(md.convert(text))
    return result
