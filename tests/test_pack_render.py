"""Lesson rendering: Markdown features kept, everything that could run stripped."""

from __future__ import annotations

import pytest

from lms.packs.render import render_lesson

HOSTILE = """\
# Title

<script>alert("script")</script>
<img src="x" onerror="alert('onerror')">
<p onclick="alert('click')" style="color: red">styled</p>
<a href="javascript:alert('js')">js link</a> [md js](javascript:alert('md'))
[upper](JaVaScRiPt:alert('upper')) <a href="data:text/html,<script>alert(1)</script>">data</a>
<iframe src="https://example.org"></iframe><object data="x"></object><embed src="x">
<svg onload="alert('svg')"><circle r="3"/></svg>
<style>body { display: none }</style>
<form action="https://example.org"><input name="x"><button>go</button></form>
<div id="main">clobber</div>
<a href="https://example.org" target="_blank">ok link</a>
"""


def test_hostile_markdown_is_sanitised():
    html = render_lesson(HOSTILE, {}).html.lower()
    for bad in ("<script", "alert(", "onerror", "onclick", "onload", "style=", "<style",
                "javascript:", "data:text", "<iframe", "<object", "<embed", "<svg", "<form",
                "<input", 'id="main"', "target="):
        assert bad not in html, bad
    assert '<a href="https://example.org" rel="noopener noreferrer">ok link</a>' in html
    assert "styled" in html


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("| a | b |\n|:--|--:|\n| 1 | 2 |", '<td align="right">2</td>'),
        ("```python\nprint('x')\n```", "<pre><code>print('x')\n</code></pre>"),
        ("## A heading", '<h2 id="section-a-heading">A heading</h2>'),
        ("Text[^1]\n\n[^1]: A note.", '<li id="fn:1">'),
        ("Text[^1]\n\n[^1]: A note.", 'class="footnote-ref" href="#fn:1"'),
        ("*em* **strong** `code`", "<em>em</em> <strong>strong</strong> <code>code</code>"),
        ("- one\n- two", "<ul>\n<li>one</li>"),
        ("[mail](mailto:lead@example.org)", 'href="mailto:lead@example.org"'),
    ],
)
def test_markdown_features(markdown, expected):
    assert expected in render_lesson(f"# Title\n\n{markdown}\n", {}).html


def test_title_comes_out_of_the_body_and_images_get_hashed_urls():
    result = render_lesson("# The *title*\n\n![A chart](images/chart.png)\n", {"chart.png": "abc123"})
    assert result.title == "The title"
    assert "<h1" not in result.html
    assert '<img alt="A chart" src="/course-images/abc123/chart.png">' in result.html
    assert result.images == ["chart.png"] and result.problems == []


def test_raw_html_images_cannot_point_elsewhere():
    html = render_lesson('# T\n\n<img src="https://tracker.example/p.gif" alt="x">\n', {}).html
    assert "tracker" not in html
