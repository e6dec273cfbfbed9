"""The report's charts as PNG images, drawn with matplotlib's Agg backend (no display).

matplotlib is imported only here and only when a report is made: a running bot never
pays for it (it is some 40 MiB once loaded).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.reports.figures import Report
from shared.texts import Texts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

SIZE_INCHES = (8.0, 4.2)
DPI = 150
# The hotlines chart grows with the hotlines, one bar each, up to what fits on an A4 page
# at the Word file's text width (the picture is scaled to 170 mm wide, 8 inches drawn).
ROW_INCHES = 0.3
MIN_HEIGHT_INCHES, MAX_HEIGHT_INCHES = 2.8, 11.0
LABEL_CHARACTERS = 36  # a hotline's label on its bar: «№12 » and the topic, cut to this


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    png: bytes


def platform_label(texts: Texts, platform: str) -> str:
    key = f"web.desk.platform.{platform}"
    return texts(key) if key in texts else platform


def month_label(texts: Texts, month: str) -> str:
    """``2026-03`` as «мар 2026»: short enough for an axis of twelve months."""
    year, number = month.split("-")
    return f"{texts(f'web.desk.months.{int(number)}')[:3]} {year}"


def _figure(height: float = SIZE_INCHES[1]) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # A Figure of its own, not pyplot's global state: charts may be drawn in threads.
    return Figure(figsize=(SIZE_INCHES[0], height), dpi=DPI, layout="constrained")


def _legend(figure: Figure, axes: Axes) -> None:
    """The legend under the plot, outside it: placed «best» inside, it would hide bars
    (the tallest, as often as not: the busiest months and hotlines)."""
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)


def _whole() -> MaxNLocator:
    """Whole numbers on an axis: there is no half a question."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _counts(axes: Axes) -> None:
    axes.yaxis.set_major_locator(_whole())


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def releases(report: Report, texts: Texts) -> Chart | None:
    """Published items per month, one bar per platform side by side."""
    if not report.releases:
        return None
    months = report.period.months()
    platforms = sorted({p for _, p in report.releases})
    figure = _figure()
    axes = figure.subplots()
    width = 0.8 / len(platforms)
    for index, platform in enumerate(platforms):
        values = [
            report.releases[(m, platform)].published if (m, platform) in report.releases else 0
            for m in months
        ]
        positions = [i + index * width for i in range(len(months))]
        axes.bar(positions, values, width, label=platform_label(texts, platform))
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(months))])
    axes.set_xticklabels([month_label(texts, m) for m in months], rotation=45, ha="right")
    axes.set_ylabel(texts("report.published"))
    _counts(axes)
    _legend(figure, axes)
    title = texts("report.chart_releases")
    axes.set_title(title)
    return Chart("report-releases.png", title, _png(figure))


def hotlines(report: Report, texts: Texts) -> Chart | None:
    """Each hotline's questions as one horizontal bar, its length what the hotline received
    (written at its end): answered, rejected and waiting one after another along it, since
    received is their sum. Horizontal, the topics read across under each other, as many as
    a year holds, and the chart grows with them."""
    if not report.hotlines:
        return None
    rows = report.hotlines
    height = min(MAX_HEIGHT_INCHES, max(MIN_HEIGHT_INCHES, 1.6 + ROW_INCHES * len(rows)))
    figure = _figure(height)
    axes = figure.subplots()
    positions = list(range(len(rows)))
    start = [0] * len(rows)
    for key, values in (
        ("report.answered", [h.answered for h in rows]),
        ("report.rejected", [h.rejected for h in rows]),
        ("report.waiting", [h.waiting for h in rows]),
    ):
        axes.barh(positions, values, 0.7, left=start, label=texts(key))
        start = [a + b for a, b in zip(start, values, strict=True)]
    size = "small" if len(rows) > 12 else "medium"
    for position, row in zip(positions, rows, strict=True):
        axes.annotate(
            str(row.received),
            (row.received, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=size,
        )
    axes.set_yticks(positions, [_label(h.id, h.topic) for h in rows], fontsize=size)
    # The first hotline on top, as in the table above the chart; no empty rows at the ends.
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlim(0, max(1, *(h.received for h in rows)) * 1.1)
    axes.set_xlabel(texts("report.received"))
    axes.xaxis.set_major_locator(_whole())
    _legend(figure, axes)
    title = texts("report.chart_hotlines")
    axes.set_title(title)
    return Chart("report-hotlines.png", title, _png(figure))


def _label(hotline_id: int, topic: str) -> str:
    return _short(f"№{hotline_id} {' '.join(topic.split())}", LABEL_CHARACTERS)


def answer_times(report: Report, texts: Texts) -> Chart | None:
    """Median and 90th percentile of the wait for an answer, per platform, in hours."""
    if not report.answer_times:
        return None
    figure = _figure()
    axes = figure.subplots()
    rows = report.answer_times
    for index, (key, values) in enumerate(
        (
            ("report.median", [t.median_hours for t in rows]),
            ("report.p90", [t.p90_hours for t in rows]),
        )
    ):
        axes.bar([i + index * 0.4 for i in range(len(rows))], values, 0.4, label=texts(key))
    axes.set_xticks([i + 0.2 for i in range(len(rows))])
    axes.set_xticklabels([platform_label(texts, t.platform) for t in rows])
    _legend(figure, axes)
    title = texts("report.chart_times")
    axes.set_title(title)
    return Chart("report-answer-times.png", title, _png(figure))


def _short(topic: str, limit: int = 24) -> str:
    return topic if len(topic) <= limit else topic[: limit - 1] + "…"


CHARTS: tuple[Callable[[Report, Texts], Chart | None], ...] = (releases, hotlines, answer_times)


def draw(report: Report, texts: Texts) -> list[Chart]:
    """The charts that have something to show."""
    return [chart for make in CHARTS if (chart := make(report, texts)) is not None]
