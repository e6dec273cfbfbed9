"""The start-up heap, set aside once the app is up.

Everything made while starting (modules, settings, the morphology dictionaries, clients)
lives as long as the process, yet every full garbage collection walks it again, holding
the event loop meanwhile: measured on the started app, ~140,000 objects and ~57 ms per
full collection, which a busy outbox or intake set off every few seconds. Frozen, a full
collection walks only what the running app made since (under a millisecond at start).
"""

from __future__ import annotations

import gc

from shared.hotlines import lemmas


async def settle() -> None:
    """Collect what start-up threw away, then freeze the rest out of the collector's sight.

    The dictionaries load in a thread from start (``lemmas.warm``): waited for first, so
    that they are frozen with the rest rather than walked by every full collection.

    Called once per process, by the commands that run the app (``run``, ``sandbox``), not
    by :class:`bots.app.App` itself: a test process starts many apps, and frozen objects
    are never collected, so their garbage would pile up there.
    """
    await lemmas.ready()
    gc.collect()
    gc.freeze()
