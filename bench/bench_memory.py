"""Peak memory (VmHWM) of a real ``glashatai run`` with 100,000 stored questions.

Two runs in one go, each a real process against the fakes: an empty database (the
baseline) and one with the stored questions (spread over 50,000 citizens, 2 % waiting).
While each runs, 50 citizens write in and a moderator uses /queue, /stats and /next, so the
figure includes the hotline's working set, not just an idle start.

Run: python -m bench.bench_memory [--questions 100000]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_queue import fill
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, CHANNEL, MODERATOR, prepare_telegram

GLASHATAI = str(Path(sys.executable).parent / "glashatai")


def env_for(tmp: Path, tg: FakeTelegram, vk: FakeVK) -> dict[str, str]:
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
            "GLASHATAI_VK__GROUP_ID": str(vk.group_id),
            "GLASHATAI_VK__GROUP_TOKEN": vk.group_token,
            "GLASHATAI_VK__USER_TOKEN": vk.user_token,
            "GLASHATAI_VK__API_BASE": vk.base_url,
            "GLASHATAI_VK__LONGPOLL_WAIT": "1",
        }
    )
    return env


def hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(questions: int) -> tuple[int, int]:
    with (
        tempfile.TemporaryDirectory() as name,
        FakeTelegram(limits=False) as tg,
        FakeVK(limits=False) as vk,
    ):
        tmp = Path(name)
        prepare_telegram(tg)
        env = env_for(tmp, tg, vk)
        subprocess.run([GLASHATAI, "db", "upgrade"], env=env, check=True, capture_output=True)
        if questions:
            fill(tmp / "glashatai.db", questions, 0.02)
        proc = subprocess.Popen([GLASHATAI, "run"], env=env, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not (tmp / "heartbeat").exists():
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("glashatai run did not start")
                time.sleep(0.1)
            for n in range(50):
                tg.add_user(600000 + n, "Житель")
                tg.user_message(600000 + n, text="/start")
                vk.add_user(500000 + n, "Житель", "Тестов")
                vk.user_message(500000 + n, "Начать")
            for command in ("/queue", "/stats", "/next", "/next", "/queue"):
                tg.user_message(MODERATOR, ADMIN_CHAT, text=command)
            tg.wait_for_sync(lambda: len(tg.messages(ADMIN_CHAT)) >= 5, timeout=60)
            time.sleep(2)
            return hwm_kib(proc.pid), len(tg.messages(ADMIN_CHAT))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def main(questions: int) -> None:
    base, _ = measure(0)
    full, replies = measure(questions)
    print(f"glashatai run, empty database: peak RSS {base / 1024:.0f} MiB")
    print(
        f"glashatai run, {questions:,} questions stored: peak RSS {full / 1024:.0f} MiB"
        f" ({replies} messages in the admin chat)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    main(parser.parse_args().questions)
