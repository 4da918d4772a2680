"""The locustfile of bench_load.py: a typhoon night's users of one riskmap server.

Run by bench_load.py with locust from .venv-bench (so it imports nothing of riskmap); the plan
of one step (paths, tokens, the operator's bearer token) comes as JSON in $BENCH_LOAD_PLAN.

Each locust user is one person (weights below): recipients opening their 叫应 link and pressing
the button (or answering through the API), duty officers panning the map (a burst of vector
tiles, mostly the county views everyone shares — cached — now and then a new corner at a deep
zoom — never asked for before, so rendered from PostGIS), the page's API calls as it loads, and
operators polling the delivery report. Requests are named by endpoint class; bench_load.py reads
locust's CSV of them.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, events, task

with open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8") as _fh:
    PLAN = json.load(_fh)
RNG = random.Random(PLAN["seed"])
TOKENS = itertools.cycle(PLAN["tokens"])  # the step's recipients, in a shuffled order
CACHED = PLAN["cached_tiles"]
UNCACHED = iter(PLAN["uncached_tiles"])  # each path once: the first request of it, server-wide
UNCACHED_SHARE = PLAN["uncached_share"]
RUN = PLAN["run"]
TOWNSHIPS = PLAN["townships"]
GZIP = {"Accept-Encoding": "gzip"}
#: the last request before a recipient's pause: 1,500 people on their own phones, not one client
#: keeping a connection past the server's keep-alive (a stale connection's POST would fail)
CLOSE = {"Connection": "close"}
#: tiles actually sent from the uncached list (the rest of a pan fell back to cached ones)
SENT = {"uncached": 0, "uncached_bytes": 0}


@events.test_stop.add_listener
def _written(**_kw):
    with open(PLAN["counts_out"], "w", encoding="utf-8") as fh:
        json.dump(SENT, fh)


class Recipient(FastHttpUser):
    """A responsible person: opens the link from the SMS / e-mail, reads, presses the button
    (two in three) — or their app answers POST /api/ack/{token} (one in three)."""

    weight = 10
    wait_time = between(2, 6)

    @task
    def acknowledge(self):
        token = next(TOKENS)
        if RNG.random() < 1 / 3:
            self.client.post(f"/api/ack/{token}", name="ack", headers=CLOSE)
            return
        self.client.get(f"/ack/{token}", name="ack page", headers=CLOSE)
        self.wait()  # reading the page before pressing
        with self.client.post(f"/ack/{token}", name="ack", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 303:
                r.failure(f"ack form answered {r.status_code}")
        self.client.get(f"/ack/{token}", name="ack page", headers=CLOSE)  # the 303's page saying ✔


class DutyOfficer(FastHttpUser):
    """Pans the one-map: a burst of tiles across layers and zooms, then looks at it."""

    weight = 6
    wait_time = between(2, 5)

    @task
    def pan(self):
        for _ in range(8):
            path = None
            if RNG.random() < UNCACHED_SHARE:
                path = next(UNCACHED, None)
            if path is not None:
                r = self.client.get(path, name="tile uncached", headers=GZIP)
                SENT["uncached"] += 1
                SENT["uncached_bytes"] += len(r.content or b"")
            else:
                self.client.get(RNG.choice(CACHED), name="tile cached", headers=GZIP)


class PageLoad(FastHttpUser):
    """The one-map page opening (or a township clicked): its API calls."""

    weight = 3
    wait_time = between(5, 10)

    @task
    def load(self):
        c = self.client
        c.get("/api/runs?limit=100", name="api runs")
        c.get("/api/runs/latest", name="api runs/latest")
        c.get("/api/basemap/relief.json", name="api basemap")
        c.get(f"/api/townships/risk?run={RUN}", name="api townships/risk")
        c.get(f"/api/evacuation/plans?run={RUN}&limit=1", name="api plans")
        c.get("/api/warnings?active=true", name="api warnings")
        c.get(f"/api/shelters?township={RNG.choice(TOWNSHIPS)}&run={RUN}", name="api shelters")


class Operator(FastHttpUser):
    """A signed-in operator's page: its warnings panel polls every 4 s (frontend/src/warnings.js)
    the active warnings, the drafts and the delivery report of each active warning."""

    weight = 1
    wait_time = between(3.5, 4.5)

    @task
    def poll(self):
        auth = {"Authorization": f"Bearer {PLAN['bearer']}"}
        self.client.get("/api/warnings?active=true", name="api warnings", headers=auth)
        self.client.get("/api/warnings?status=draft", name="api warnings", headers=auth)
        self.client.get(f"/api/warnings/{PLAN['warning']}/deliveries", name="deliveries", headers=auth)
