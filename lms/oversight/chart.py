"""The share up to date over the last months as an SVG column chart, drawn on the server
(leather) and placed inline in the dashboard: no script, and only presentation attributes,
which the page's CSP (no inline style) allows. The SVG is one image to assistive technology
(role="img" with a title and a description); the same figures are in a table beside it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 -- builds our own SVG; nothing is parsed
from collections.abc import Sequence

import leather
from markupsafe import Markup

from .history import MonthShare

WIDTH, HEIGHT = 600, 300
INK = "#0b0c0c"
BAR = "#1d70b8"
GRID = "#b1b4b6"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'

# leather reads its look from module settings: set once, at import, for every chart drawn.
leather.theme.background_color = "#ffffff"
leather.theme.margin = 0.03
leather.theme.tick_color = "#f3f2f1"
leather.theme.zero_color = GRID
leather.theme.label_color = INK
leather.theme.tick_font_family = FONT
leather.theme.tick_font_size = 16
leather.theme.tick_font_char_height = 16
leather.theme.tick_font_char_width = 9


def month_label(month) -> str:
    """The month's abbreviation: twelve months in a row never repeat one (the description
    and the table give the years)."""
    return month.strftime("%b")


def describe(points: Sequence[MonthShare]) -> str:
    """The chart in one sentence, for its description."""
    known = [p for p in points if p.percent is not None]
    if not known:
        return "No figures yet."
    first, last = known[0], known[-1]
    if first is last:
        return f"{last.percent}% up to date in {last.month:%B %Y}."
    return f"From {first.percent}% in {first.month:%B %Y} to {last.percent}% in {last.month:%B %Y}."


def _columns(points: Sequence[MonthShare]) -> ET.Element:
    """The chart's drawing: a column per month, its height the share up to date (none for a
    month without figures), the percentage above each column."""
    labels = [month_label(p.month) for p in points]
    chart = leather.Chart()
    chart.set_x_scale(leather.Ordinal(labels))
    chart.add_y_scale(0, 100)
    chart.add_y_axis(ticks=[0, 25, 50, 75, 100], tick_formatter=lambda value, i, count: f"{value}%")
    chart.add_columns([(label, p.percent) for label, p in zip(labels, points, strict=True)], fill_color=BAR)
    body = chart.to_svg_group(WIDTH, HEIGHT)
    _label_columns(body, [p.percent for p in points if p.percent is not None])
    return body


def _svg(attributes: dict[str, str]) -> ET.Element:
    return ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {WIDTH} {HEIGHT}", **attributes})


def has_figures(points: Sequence[MonthShare]) -> bool:
    return any(p.percent is not None for p in points)


def share_chart(points: Sequence[MonthShare], chart_id: str = "history-chart") -> Markup:
    """The chart for a page: one image to assistive technology, named and described (nothing
    when no month has figures: the page says so)."""
    if not has_figures(points):
        return Markup("")
    svg = _svg(
        {
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "id": chart_id,
            "class": "history-chart",
            "focusable": "false",
        }
    )
    title = ET.SubElement(svg, "title", id=f"{chart_id}-title")
    title.text = "Share of training up to date, month by month"
    desc = ET.SubElement(svg, "desc", id=f"{chart_id}-desc")
    desc.text = describe(points) + " The table below gives each month's figures."
    svg.append(_columns(points))
    return Markup(ET.tostring(svg, encoding="unicode"))  # noqa: S704 -- ElementTree escapes every text and attribute


def share_chart_for_pdf(points: Sequence[MonthShare]) -> bytes:
    """The same drawing for the PDF report (fpdf2 draws SVG; the report's table says it in words)."""
    svg = _svg({"width": str(WIDTH), "height": str(HEIGHT)})
    svg.append(_columns(points))
    return ET.tostring(svg, encoding="utf-8")


def _label_columns(body: ET.Element, percents: list[int]) -> None:
    """Write each column's percentage just above it (leather draws the columns only)."""
    for group in body.iter("g"):
        if group.get("class") == "series columns":
            for rect, percent in zip(group.findall("rect"), percents, strict=True):
                x, y, width = float(rect.get("x")), float(rect.get("y")), float(rect.get("width"))
                label = ET.SubElement(
                    group,
                    "text",
                    {
                        "x": f"{x + width / 2:.1f}",
                        "y": f"{y - 6:.1f}",
                        "text-anchor": "middle",
                        "fill": INK,
                        "font-family": FONT,
                        "font-size": "15",
                    },
                )
                label.text = f"{percent}%"
