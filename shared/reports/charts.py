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

SIZE_INCHES = (8.0, 4.2)
DPI = 150


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


def _figure() -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # A Figure of its own, not pyplot's global state: charts may be drawn in threads.
    return Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")


def _counts(axes: Axes) -> None:
    """Whole numbers on the axis: there is no half a question."""
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


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
    axes.legend()
    title = texts("report.chart_releases")
    axes.set_title(title)
    return Chart("report-releases.png", title, _png(figure))


def hotlines(report: Report, texts: Texts) -> Chart | None:
    """Each hotline's questions: received (= answered + rejected + waiting), answered,
    rejected, waiting."""
    if not report.hotlines:
        return None
    figure = _figure()
    axes = figure.subplots()
    series = (
        ("report.received", [h.received for h in report.hotlines]),
        ("report.answered", [h.answered for h in report.hotlines]),
        ("report.rejected", [h.rejected for h in report.hotlines]),
        ("report.waiting", [h.waiting for h in report.hotlines]),
    )
    width = 0.8 / len(series)
    for index, (key, values) in enumerate(series):
        positions = [i + index * width for i in range(len(values))]
        axes.bar(positions, values, width, label=texts(key))
    axes.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(report.hotlines))])
    axes.set_xticklabels(
        [f"№{h.id} {_short(h.topic)}" for h in report.hotlines], rotation=30, ha="right"
    )
    _counts(axes)
    axes.legend()
    title = texts("report.chart_hotlines")
    axes.set_title(title)
    return Chart("report-hotlines.png", title, _png(figure))


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
    axes.legend()
    title = texts("report.chart_times")
    axes.set_title(title)
    return Chart("report-answer-times.png", title, _png(figure))


def _short(topic: str, limit: int = 24) -> str:
    return topic if len(topic) <= limit else topic[: limit - 1] + "…"


CHARTS: tuple[Callable[[Report, Texts], Chart | None], ...] = (releases, hotlines, answer_times)


def draw(report: Report, texts: Texts) -> list[Chart]:
    """The charts that have something to show."""
    return [chart for make in CHARTS if (chart := make(report, texts)) is not None]
