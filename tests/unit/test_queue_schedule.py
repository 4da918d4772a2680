"""The worker's periodic jobs take their periods from the settings: the chase every minute by
default (RISKMAP_CHASE_EVERY_S), the take-over of dead workers' jobs a third of the stall time."""

from __future__ import annotations

import procrastinate
import pytest
from procrastinate.testing import InMemoryConnector
from pydantic import ValidationError

import backend.worker  # noqa: F401  (registers every job)
from backend.config import Settings
from backend.dispatch.queue import cron_every, schedule, stalled_check_s


def test_periods_become_cron_lines():
    assert cron_every(60) == "* * * * *"
    assert cron_every(2) == "* * * * * */2"  # procrastinate's sixth field: seconds
    assert cron_every(300) == "*/5 * * * *"
    with pytest.raises(ValueError, match="7 s"):
        cron_every(7)


def test_the_chase_period_is_checked_when_the_settings_are_read():
    assert Settings().chase_every_s == 60
    with pytest.raises(ValidationError, match="chase_every_s=7"):
        Settings(chase_every_s=7)


def test_schedule_registers_the_periodic_jobs_again_with_new_periods():
    app = procrastinate.App(connector=InMemoryConnector())
    schedule(app, Settings())
    schedule(app, Settings(chase_every_s=2, worker_stalled_s=3))  # again: replaced, not doubled
    crons = {name: p.cron for (name, _), p in app.periodic_registry.periodic_tasks.items()}
    assert len(crons) == 2
    assert [c for n, c in crons.items() if n.endswith("chase")] == ["* * * * * */2"]
    assert [c for n, c in crons.items() if n.endswith("retry_stalled")] == ["* * * * * */1"]
    assert stalled_check_s(Settings()) == 10


def test_deadlines_may_be_fractions_of_a_minute():
    from backend.warnings.acks import deadlines_array
    from backend.warnings.texts import ack_request_zh

    s = Settings(ack_deadlines_min={"4": 0.5, "3": 30, "2": 60, "1": 120})
    assert deadlines_array(s) == [120.0, 60.0, 30.0, 0.5]
    assert "15分钟" in ack_request_zh(15.0) and "0.5分钟" in ack_request_zh(0.5)
