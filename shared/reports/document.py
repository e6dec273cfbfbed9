"""The report as a Word file (tables and charts, A4, Russian) and as plain text.

Both show the same sections in the same order; a section with nothing in it says so in a
line rather than printing an empty table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from shared.hotlines.digest import clean
from shared.reports.charts import Chart, month_label, platform_label
from shared.reports.figures import Report
from shared.texts import Texts
from shared.wordfile import TEXT_WIDTH_MM, print_setup


@dataclass(frozen=True)
class Section:
    """A heading, a table (header row first) or a line saying it is empty, and its chart."""

    heading: str
    rows: list[list[str]]
    empty: str
    chart: str | None = None


def period_label(report: Report) -> str:
    p = report.period
    return f"{p.first:%d.%m.%Y} – {p.last:%d.%m.%Y}"


def title(report: Report, texts: Texts) -> str:
    return texts("report.title", period=period_label(report))


def _hours(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def sections(report: Report, texts: Texts) -> list[Section]:
    """The report's tables, in the order the office reads them."""
    return [
        Section(
            texts("report.releases"),
            _releases(report, texts),
            texts("report.no_releases"),
            "releases",
        ),
        Section(
            texts("report.hotlines"),
            _hotlines(report, texts),
            texts("report.no_hotlines"),
            "hotlines",
        ),
        Section(
            texts("report.answer_times"),
            _answer_times(report, texts),
            texts("report.no_answers"),
            "answer-times",
        ),
        Section(texts("report.alerts"), _alerts(report, texts), texts("report.no_alerts")),
        Section(texts("report.reach"), _reach(report, texts), texts("report.no_reach")),
    ]


def _head(texts: Texts, *keys: str) -> list[str]:
    return [texts(f"report.{key}") for key in keys]


def _releases(report: Report, texts: Texts) -> list[list[str]]:
    """Per month and platform, then a total per platform."""
    rows = [_head(texts, "month", "platform", "published", "failed", "edited")]
    for (month, platform), r in sorted(report.releases.items()):
        counts = [str(r.published), str(r.failed), str(r.edited)]
        rows.append([month_label(texts, month), platform_label(texts, platform), *counts])
    for platform in sorted({p for _, p in report.releases}):
        total = report.releases_total(platform)
        counts = [str(total.published), str(total.failed), str(total.edited)]
        rows.append([texts("report.total"), platform_label(texts, platform), *counts])
    return rows


def _hotlines(report: Report, texts: Texts) -> list[list[str]]:
    """Received is answered + rejected + waiting; the questions of banned citizens have a
    column apart, when the period has any."""
    tz = report.period.tz
    banned = any(h.banned for h in report.hotlines)
    head = ["topic", "dates", "received", "answered", "rejected", "waiting"]
    rows = [_head(texts, *head, *(["banned"] if banned else []))]
    for h in report.hotlines:
        start, end = h.starts_at.astimezone(tz), h.ends_at.astimezone(tz)
        dates = (
            f"{start:%d.%m.%Y}" if start.date() == end.date() else f"{start:%d.%m} – {end:%d.%m.%Y}"
        )
        counts = [h.received, h.answered, h.rejected, h.waiting, *([h.banned] if banned else [])]
        rows.append([f"№{h.id} {clean(h.topic)}", dates, *map(str, counts)])
    return rows


def _answer_times(report: Report, texts: Texts) -> list[list[str]]:
    rows = [_head(texts, "platform", "answers", "median", "p90")]
    for t in report.answer_times:
        hours = [_hours(t.median_hours), _hours(t.p90_hours)]
        rows.append([platform_label(texts, t.platform), str(t.answered), *hours])
    return rows


def _alerts(report: Report, texts: Texts) -> list[list[str]]:
    rows = [
        _head(texts, "alert_topic", "alert_count", "alert_queued", "alert_blocked", "alert_skipped")
    ]
    for a in report.alerts:
        rows.append([a.title, str(a.alerts), str(a.queued), str(a.blocked), str(a.skipped)])
    return rows


def _reach(report: Report, texts: Texts) -> list[list[str]]:
    rows = [_head(texts, "platform", "asked", "got_answer")]
    for who in report.reach:
        rows.append([platform_label(texts, who.platform), str(who.asked), str(who.answered)])
    return rows


def plain(report: Report, texts: Texts) -> str:
    """The report for a terminal: tab-separated tables under their headings."""
    lines = [title(report, texts), ""]
    for section in sections(report, texts):
        lines.append(section.heading)
        if len(section.rows) == 1:
            lines.append(section.empty)
        else:
            lines.extend("\t".join(row) for row in section.rows)
        lines.append("")
    return "\n".join(lines)


def docx(report: Report, texts: Texts, charts: Sequence[Chart], author: str = "") -> bytes:
    """A4, Russian, each section a table with its chart below it."""
    # Imported here: python-docx brings lxml, which a running bot rarely needs.
    from docx import Document as DocxDocument
    from docx.shared import Mm

    by_name = {c.filename: c for c in charts}
    heading = title(report, texts)
    out = DocxDocument()
    print_setup(out, author, heading)
    out.add_heading(heading, level=1)
    if author:
        out.add_paragraph(clean(author))
    for section in sections(report, texts):
        out.add_heading(section.heading, level=2)
        if len(section.rows) == 1:
            out.add_paragraph(section.empty)
            continue
        table = out.add_table(rows=0, cols=len(section.rows[0]))
        table.style = "Table Grid"
        for index, values in enumerate(section.rows):
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = value
                if index == 0:
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
        chart = by_name.get(f"report-{section.chart}.png") if section.chart else None
        if chart is not None:
            out.add_picture(io.BytesIO(chart.png), width=Mm(TEXT_WIDTH_MM))
            out.add_paragraph(chart.title)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def filename(report: Report) -> str:
    p = report.period
    return f"report-{p.first:%Y-%m-%d}-{p.last:%Y-%m-%d}.docx"
