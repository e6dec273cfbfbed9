"""Bar charts drawn as inline SVG by the server.

Inline SVG needs no plotting library in the process (matplotlib would add tens of MiB
and a font cache to a bot that otherwise never draws), no JavaScript in the browser, and
scales with the page. Each chart has a title and a description for screen readers, and
the page prints the same figures as a table: the text alternative.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from web.desk.queries import QuestionTimes

WIDTH = 640
HEIGHT = 220
AXIS = 30  # room under the bars for their labels
TOP = 16  # room above the tallest bar for its value


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - AXIS

    @property
    def total(self) -> int:
        return sum(b.value for b in self.bars)


def bars(points: list[tuple[str, int]]) -> Chart:
    if not points:
        return Chart([])
    peak = max(1, *(v for _, v in points))
    slot = WIDTH / len(points)
    room = HEIGHT - AXIS - TOP
    out = []
    for index, (label, value) in enumerate(points):
        height = room * value / peak
        out.append(
            Bar(
                label=label,
                value=value,
                x=index * slot + slot * 0.15,
                y=HEIGHT - AXIS - height,
                width=slot * 0.7,
                height=height,
            )
        )
    return Chart(out)


def per_day(times: list[QuestionTimes], tz: ZoneInfo) -> Chart:
    """Questions received on each local day, the quiet days in between included."""
    days = Counter(t.created_at.astimezone(tz).date() for t in times)
    if not days:
        return Chart([])
    first, last = min(days), max(days)
    points: list[tuple[str, int]] = []
    current: date = first
    while current <= last:
        points.append((f"{current:%d.%m}", days.get(current, 0)))
        current += timedelta(days=1)
    return bars(points)


# Time-to-answer buckets: upper bound and the catalogue key of its label.
BUCKETS: list[tuple[timedelta | None, str]] = [
    (timedelta(hours=1), "web.desk.hotlines.bucket_1h"),
    (timedelta(hours=4), "web.desk.hotlines.bucket_4h"),
    (timedelta(hours=24), "web.desk.hotlines.bucket_24h"),
    (None, "web.desk.hotlines.bucket_more"),
]


def answer_times(times: list[QuestionTimes], labels: list[str]) -> Chart:
    """Answered questions by how long the answer took (``labels``: the buckets' texts)."""
    counts = [0] * len(BUCKETS)
    for t in times:
        if t.answered_at is None:
            continue
        took = t.answered_at - t.created_at
        for index, (bound, _) in enumerate(BUCKETS):
            if bound is None or took <= bound:
                counts[index] += 1
                break
    if not any(counts):
        return Chart([])
    return bars(list(zip(labels, counts, strict=True)))
