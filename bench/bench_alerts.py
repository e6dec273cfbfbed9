"""Alerts at scale against the fakes with their limits on, the app a real ``glashatai run``.

Telegram: 100,000 subscribers. ``glashatai alert send`` queues the notices while 50
citizens write to an open hotline (intake during the enqueue: how fast their questions are
stored). Then the first ``--window`` seconds (180) of the broadcast are measured — a full
send takes 100,000 / 30 s ≈ 56 minutes; the window is a stretch of the same broadcast:
notices delivered per second (the outbox's ``sent_at``) against the 30/s limit, the 429s
the fake answered and notice rows that ended ``failed``. During the window the moderator
answers each of the 50 questions as soon as its card is in the admin chat; an answer's
time is from the moderator's reply to the answer's row ``sent`` (the fake accepted it into
the citizen's chat). Memory: the app's VmHWM once started and idle, and at the window's end.

VK: 100,000 subscribers in ``messages.send`` calls of up to 100 ``peer_ids``: the number of
calls and their rate against the community token's 20/s, until every notice is done.

Run: python -m bench.bench_alerts [--subscribers 100000] [--window 180] [--skip-vk]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.delivered import Delivered
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL, MODERATOR, prepare_telegram

GLASHATAI = str(Path(sys.executable).parent / "glashatai")
TG_BASE = 800_000
VK_BASE = 500_000
ASKERS = 50
TEXT = "Внимание: с 14:00 до 18:00 отключение электроэнергии в Центральном районе."


def env_for(tmp: Path, tg: FakeTelegram, vk: FakeVK | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLASHATAI_")}
    env.update(
        {
            "GLASHATAI_DATABASE__URL": f"sqlite+aiosqlite:///{tmp}/glashatai.db",
            "GLASHATAI_HEALTH_FILE": str(tmp / "heartbeat"),
            "GLASHATAI_LOG_LEVEL": "WARNING",
            "GLASHATAI_TELEGRAM__TOKEN": tg.token,
            "GLASHATAI_TELEGRAM__API_BASE": str(tg.base_url),
            "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID": str(ADMIN_CHAT),
            "GLASHATAI_TELEGRAM__CHANNEL_ID": CHANNEL,
            "GLASHATAI_TELEGRAM__MODERATOR_IDS": str(MODERATOR),
            "GLASHATAI_TELEGRAM__REQUEST_TIMEOUT": "60",
            # Every one of the 50 questions gets a card (the moderator replies to it).
            "GLASHATAI_HOTLINE__CARD_BACKLOG_THRESHOLD": str(ASKERS * 2),
            "GLASHATAI_HOTLINE__THROTTLE_MESSAGES": "100",
        }
    )
    if vk is not None:
        env.update(
            {
                "GLASHATAI_VK__GROUP_ID": str(vk.group_id),
                "GLASHATAI_VK__GROUP_TOKEN": vk.group_token,
                "GLASHATAI_VK__API_BASE": vk.base_url,
                "GLASHATAI_VK__LONGPOLL_WAIT": "1",
                "GLASHATAI_VK__REQUEST_TIMEOUT": "60",
            }
        )
    return env


def hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def fill(path: Path, platform: str, base: int, count: int, askers: int) -> None:
    """Subscribers (consented, reachable) with plain sqlite3; and an open hotline."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "INSERT INTO hotlines (topic, description, starts_at, ends_at, status, announced,"
        " summary_sent, created_by, created_at) VALUES ('Электричество', '', ?, ?, 'open', 1,"
        " 0, 'bench', ?)",
        (now - timedelta(hours=1), now + timedelta(hours=5), now),
    )
    con.executemany(
        "INSERT INTO citizens (platform, platform_user_id, display_name, consent_at, reachable,"
        " banned, state, state_data, throttle_count, created_at) VALUES (?, ?, 'Житель', ?, 1,"
        " 0, 'idle', '{}', 0, ?)",
        ((platform, str(base + i), now, now) for i in range(count + askers)),
    )
    con.execute(
        "INSERT INTO alert_subscriptions (citizen_id, topic, created_at)"
        " SELECT id, 'emergency', ? FROM citizens WHERE platform = ? AND id <= ?",
        (now, platform, count),
    )
    con.commit()
    con.close()


def query(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def epoch(value: object) -> float:
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp()


def start_app(tmp: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (tmp / "run.log").open("w")
    proc = subprocess.Popen([GLASHATAI, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not (tmp / "heartbeat").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"glashatai run did not start: {(tmp / 'run.log').read_text()}")
        time.sleep(0.1)
    return proc


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def send_alert(tmp: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    text = tmp / "alert.txt"
    text.write_text(TEXT, encoding="utf-8")
    return subprocess.Popen(
        [GLASHATAI, "alert", "send", "--topic", "emergency", "--text-file", str(text)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share) - 1)]


def warm_up(tg: FakeTelegram, db: Path, asker: int) -> None:
    """Idle means running with the hotline warmed up: one question (its card, the lemma
    dictionaries) before the alert, as in bench_memory."""
    tg.user_message(asker, text="Когда дадут свет?")
    while query(db, "SELECT count(*) FROM outbox WHERE ref_type = 'card'")[0][0] < 1:
        time.sleep(0.1)
    time.sleep(5)


def enqueue_with_intake(
    tmp: Path, env: dict[str, str], tg: FakeTelegram, db: Path, askers: list[int]
) -> tuple[float, float]:
    """The askers write while the CLI queues the notices: seconds for the enqueue, and
    for their questions to be stored."""
    enqueue_started = time.time()
    cli = send_alert(tmp, env)
    asked_at = time.time()
    for user_id in askers:
        tg.user_message(user_id, text=f"Когда дадут свет в доме {user_id}?")
    while query(db, "SELECT count(*) FROM questions")[0][0] < len(askers) + 1:
        time.sleep(0.05)
    intake_seconds = time.time() - asked_at
    _out, err = cli.communicate(timeout=1800)
    if cli.returncode != 0:
        raise RuntimeError(f"alert send failed: {err}")
    return time.time() - enqueue_started, intake_seconds


def first_notice_at(db: Path) -> float:
    """When the first notice was delivered: the window starts there."""
    first: list[tuple[object, ...]] = []
    while not first or first[0][0] is None:
        first = query(
            db, "SELECT min(sent_at) FROM outbox WHERE ref_type = 'alert' AND state='sent'"
        )
        time.sleep(0.2)
    return epoch(first[0][0])


class Answering:
    """The moderator answers each card as soon as it is in the admin chat; an answer's
    time runs from that reply to its row ``sent``."""

    def __init__(self, tg: FakeTelegram, db: Path) -> None:
        self.tg, self.db = tg, db
        self.replied: dict[int, float] = {}
        self.latencies: dict[int, float] = {}
        self.handled: dict[int, float] = {}  # the reply to its answer's row queued

    def reply_to_new_cards(self) -> None:
        cards = query(
            self.db, "SELECT ref_id, result FROM outbox WHERE ref_type = 'card' AND state = 'sent'"
        )
        for question_id, result in cards:
            qid = int(str(question_id))
            if qid in self.replied or result is None:
                continue
            made = Delivered.from_dict(json.loads(str(result)))
            if made is None or not made.ids():
                continue
            self.replied[qid] = time.time()
            self.tg.user_message(
                MODERATOR,
                ADMIN_CHAT,
                text=f"Ответ на вопрос {qid}: свет дадут к 18:00.",
                reply_to_message_id=int(made.ids()[0]),
            )

    def collect_delivered(self) -> None:
        answers = query(
            self.db,
            "SELECT a.question_id, o.sent_at, o.created_at FROM answers a JOIN outbox o"
            " ON o.ref_type = 'answer' AND o.ref_id = a.id WHERE o.state = 'sent'",
        )
        for question_id, sent_at, created_at in answers:
            qid = int(str(question_id))
            if qid in self.replied and qid not in self.latencies:
                self.latencies[qid] = epoch(sent_at) - self.replied[qid]
                self.handled[qid] = epoch(created_at) - self.replied[qid]

    def until(self, deadline: float) -> None:
        while time.time() < deadline:
            self.reply_to_new_cards()
            self.collect_delivered()
            time.sleep(0.1)

    def figures(self) -> dict[str, object]:
        times, handled = list(self.latencies.values()), list(self.handled.values())
        return {
            "answers_measured": len(times),
            "answer_p50": round(statistics.median(times), 3) if times else None,
            "answer_p95": round(pct(times, 0.95), 3) if times else None,
            "answer_max": round(max(times), 3) if times else None,
            "answer_queued_p50": round(statistics.median(handled), 3) if handled else None,
        }


def sent_between(db: Path, where: str, t0: float, t1: float) -> int:
    bounds = (datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat(" ") for t in (t0, t1))
    sql = f"SELECT count(*) FROM outbox WHERE {where} AND state = 'sent'"
    return int(str(query(db, sql + " AND sent_at >= ? AND sent_at < ?", *bounds)[0][0]))


def telegram(subscribers: int, window: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as name, FakeTelegram(limits=True) as tg:
        tmp, db = Path(name), Path(name) / "glashatai.db"
        prepare_telegram(tg)
        for i in range(subscribers + ASKERS):
            tg.add_user(TG_BASE + i, "Житель")
        env = env_for(tmp, tg, None)
        subprocess.run([GLASHATAI, "db", "upgrade"], env=env, check=True, capture_output=True)
        fill(db, "telegram", TG_BASE, subscribers, ASKERS)
        proc = start_app(tmp, env)
        try:
            askers = [TG_BASE + subscribers + i for i in range(ASKERS)]
            warm_up(tg, db, askers[0])
            idle = hwm_kib(proc.pid)
            enqueue_seconds, intake_seconds = enqueue_with_intake(tmp, env, tg, db, askers[1:])
            t0 = first_notice_at(db)
            answering = Answering(tg, db)
            answering.until(t0 + window)
            peak = hwm_kib(proc.pid)
            in_window = sent_between(db, "ref_type = 'alert'", t0, t0 + window)
            # Everything the bot sent in the window (notices, answers, cards, their edits):
            # the limit is the bot's, and the broadcast gets what the interactive lane leaves.
            everything = sent_between(db, "platform = 'telegram'", t0, t0 + window)
            failed = query(
                db, "SELECT count(*) FROM outbox WHERE ref_type = 'alert' AND state = 'failed'"
            )[0][0]
        finally:
            stop_app(proc)
        too_many = len([r for r in tg.requests() if r.get("status") == 429])
    rate = in_window / window
    return {
        "subscribers": subscribers,
        "enqueue_seconds": round(enqueue_seconds, 1),
        "intake_questions": ASKERS - 1,
        "intake_seconds": round(intake_seconds, 2),
        "window_seconds": window,
        "notices_in_window": in_window,
        "rate": round(rate, 2),
        "share_of_30": round(rate / 30, 3),
        "all_sends_share_of_30": round(everything / window / 30, 3),
        "http_429": too_many,
        "failed_rows": failed,
        **answering.figures(),
        "idle_hwm_mib": round(idle / 1024, 1),
        "peak_hwm_mib": round(peak / 1024, 1),
        "peak_over_idle": round(peak / idle - 1, 3) if idle else None,
    }


def vk_run(subscribers: int) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory() as name,
        FakeTelegram(limits=True) as tg,
        FakeVK(limits=True) as vk,
    ):
        tmp, db = Path(name), Path(name) / "glashatai.db"
        prepare_telegram(tg)
        for i in range(subscribers):
            vk.add_user(VK_BASE + i, "Житель", "Города")
        env = env_for(tmp, tg, vk)
        subprocess.run([GLASHATAI, "db", "upgrade"], env=env, check=True, capture_output=True)
        fill(db, "vk", VK_BASE, subscribers, 0)
        proc = start_app(tmp, env)
        try:
            cli = send_alert(tmp, env)
            _, err = cli.communicate(timeout=1800)
            if cli.returncode != 0:
                raise RuntimeError(f"alert send failed: {err}")
            busy = "('pending', 'sending')"
            while query(
                db, f"SELECT count(*) FROM outbox WHERE ref_type = 'alert' AND state IN {busy}"
            )[0][0]:
                time.sleep(0.5)
            states = dict(
                query(
                    db,
                    "SELECT state, count(*) FROM outbox WHERE ref_type = 'alert' GROUP BY state",
                )
            )
        finally:
            stop_app(proc)
        calls = [c for c in vk.calls("messages.send") if "peer_ids" in c["params"]]
    times = sorted(float(c["time"]) for c in calls)
    elapsed = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(calls) - 1) / elapsed if elapsed else 0.0
    return {
        "subscribers": subscribers,
        "calls": len(calls),
        "largest_call": max(len(c["params"]["peer_ids"].split(",")) for c in calls),
        "seconds": round(elapsed, 1),
        "calls_per_second": round(rate, 2),
        "share_of_20": round(rate / 20, 3),
        "states": states,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=180.0)
    parser.add_argument("--skip-vk", action="store_true")
    parser.add_argument("--skip-telegram", action="store_true")
    args = parser.parse_args()
    if not args.skip_telegram:
        print("telegram", json.dumps(telegram(args.subscribers, args.window)), flush=True)
    if not args.skip_vk:
        print("vk", json.dumps(vk_run(args.subscribers)), flush=True)


if __name__ == "__main__":
    main()
