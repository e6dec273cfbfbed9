"""``glashatai report``: the office's report for a period, as text or a Word file.

Dates are office-local (``GLASHATAI_TIMEZONE``), both included. Without ``--output`` the
tables are printed; with ``-o report.docx`` the Word file (charts included) is written.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from shared.reports import delivery, document
from shared.services import Services
from shared.storage.migrate import upgrade


def cmd_report(args: argparse.Namespace) -> int:
    from bots.cli import _settings

    settings = _settings()

    async def go() -> int:
        services = Services.build(settings)
        try:
            await upgrade(services.db)
            texts = services.texts
            span = delivery.period(
                args.start, args.end, settings.tz, texts, bad_date=delivery.BAD_DATE_CLI
            )
            if args.output is None:
                report = await delivery.collect(services, span)
                print(document.plain(report, texts), end="")
                return 0
            made = await delivery.make(services, span)
            target = Path(args.output)
            await asyncio.to_thread(target.write_bytes, made.docx)
            print(texts("report.written", period=document.period_label(made.report), path=target))
            return 0
        finally:
            await services.db.dispose()

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report",
        help="the office's report for a period: publications, hotlines, answer times",
    )
    report.add_argument(
        "--from",
        dest="start",
        help="first day, YYYY-MM-DD (default: January 1 of this year)",
    )
    report.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
    report.add_argument("--output", "-o", help="write the Word file (.docx, with the charts) here")
    report.set_defaults(func=cmd_report)
