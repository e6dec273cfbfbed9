"""The report's charts as drawn: no legend hides a bar, and a year of hotlines — thirty of
them, with ordinary topics — keeps every hotline's label readable and fits an A4 page."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from shared.reports import charts, figures
from shared.texts import Texts
from shared.wordfile import MARGIN_MM, PAGE_MM, TEXT_WIDTH_MM

if TYPE_CHECKING:
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

TOPICS = [
    "Отопление",
    "Вывоз мусора",
    "Ремонт дорог",
    "Благоустройство дворов",
    "Капитальный ремонт многоквартирных домов",
    "Общественный транспорт",
    "Летний отдых детей",
    "Подготовка к зиме",
    "Водоснабжение",
    "Поликлиники",
    "Уличное освещение",
    "Бродячие собаки",
]
PLATFORMS = ("telegram", "vk", "max")


def _year(hotlines: int) -> figures.Report:
    """A busy year: every month published on three platforms, answers on each, and
    ``hotlines`` hotlines about as busy as one another (no corner of the plot is empty)."""
    rows = []
    for n in range(hotlines):
        answered, rejected, waiting = 18 + n * 7 % 11, 2 + n % 3, 1 + n % 4
        start = datetime(2026, 1 + n % 12, 1 + n // 12 * 7, 3, tzinfo=UTC)
        rows.append(
            figures.HotlineRow(
                id=n + 1,
                topic=TOPICS[n % len(TOPICS)],
                starts_at=start,
                ends_at=start.replace(hour=5),
                received=answered + rejected + waiting,
                answered=answered,
                rejected=rejected,
                waiting=waiting,
            )
        )
    releases = {
        (f"2026-{month:02d}", platform): figures.Releases(published=4 + month)
        for month in range(1, 13)
        for platform in PLATFORMS
    }
    times = [figures.AnswerTimes(p, 40, 2.0 + i, 9.0 + 3 * i) for i, p in enumerate(PLATFORMS)]
    period = figures.Period(date(2026, 1, 1), date(2026, 12, 31), ZoneInfo("Asia/Krasnoyarsk"))
    return figures.Report(period, releases=releases, hotlines=rows, answer_times=times)


Drawn = dict[str, tuple[charts.Chart, "Figure"]]


@pytest.fixture
def draw(monkeypatch: pytest.MonkeyPatch) -> Callable[[figures.Report], Drawn]:
    """``draw(report)``: each chart, by file name, with the matplotlib figure it was
    saved from."""
    saved: list[Figure] = []
    real = charts._png

    def keep(figure: Figure) -> bytes:
        saved.append(figure)
        return real(figure)

    monkeypatch.setattr(charts, "_png", keep)

    def drawn(report: figures.Report) -> Drawn:
        saved.clear()
        made = charts.draw(report, Texts.load())
        return {c.filename: (c, f) for c, f in zip(made, saved, strict=True)}

    return drawn


def _renderer(figure: Figure) -> RendererBase:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def _legends(figure: Figure) -> list[Legend]:
    inside = [axes.get_legend() for axes in figure.axes]
    return [*figure.legends, *(legend for legend in inside if legend is not None)]


def test_no_legend_hides_a_bar(draw: Callable[[figures.Report], Drawn]) -> None:
    """Placed «best» inside the plot, the legend covered the tallest bars — the year's
    busiest hotlines, the busiest months. It is outside the plot, on every chart."""
    made = draw(_year(12))
    assert sorted(made) == [
        "report-answer-times.png",
        "report-hotlines.png",
        "report-releases.png",
    ]
    for name, (_, figure) in made.items():
        renderer = _renderer(figure)
        [axes] = figure.axes
        bars = [patch.get_window_extent(renderer) for patch in axes.patches]
        assert bars, name
        [legend] = _legends(figure)
        box = legend.get_window_extent(renderer)
        hidden = [bar for bar in bars if bar.overlaps(box)]
        assert not hidden, f"{name}: {len(hidden)} bars under the legend"
        assert figure.bbox.contains(box.x0, box.y0), name
        assert figure.bbox.contains(box.x1, box.y1), name


def test_a_year_of_thirty_hotlines_keeps_every_label_readable(
    draw: Callable[[figures.Report], Drawn],
) -> None:
    """Thirty hotlines: one label per hotline, none over another, none cut off at the
    figure's edge, in a legible size; each bar's total beside it; and the chart, placed at
    the Word file's text width, still fits on an A4 page."""
    report = _year(30)
    chart, figure = draw(report)["report-hotlines.png"]
    renderer = _renderer(figure)
    [axes] = figure.axes
    ticks = [*axes.get_xticklabels(), *axes.get_yticklabels()]
    labels = [label for label in ticks if label.get_text().startswith("№")]
    assert [label.get_text().split()[0] for label in labels] == [
        f"№{h.id}" for h in report.hotlines
    ]
    assert "Капитальный ремонт" in labels[4].get_text()
    boxes = [label.get_window_extent(renderer) for label in labels]
    for label, box in zip(labels, boxes, strict=True):
        assert float(label.get_fontsize()) >= 7, label.get_text()
        assert figure.bbox.contains(box.x0, box.y0), label.get_text()
        assert figure.bbox.contains(box.x1, box.y1), label.get_text()
    crowded = [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    assert not crowded, f"{len(crowded)} labels over one another"
    totals = [t for t in axes.texts if t.get_text().isdigit()]
    assert [int(t.get_text()) for t in totals] == [h.received for h in report.hotlines]
    inside = axes.get_window_extent(renderer)
    for total in totals:
        box = total.get_window_extent(renderer)
        assert inside.contains(box.x1, (box.y0 + box.y1) / 2), total.get_text()
    with Image.open(io.BytesIO(chart.png)) as image:
        width, height = image.size
    printed_mm = TEXT_WIDTH_MM * height / width
    assert printed_mm < PAGE_MM[1] - 2 * MARGIN_MM - 20  # and room for the line under it
