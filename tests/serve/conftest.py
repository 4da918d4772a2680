"""The service started as the README starts it (``riskmap serve``, ``riskmap worker``) against
the session's test database with the sample county loaded and a run published."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.harness import Service, Sinks, base_env, free_port


def clean_slate(engine) -> None:
    """No warnings, messages or queued jobs left by other tests (the worker would send them)."""
    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
        c.execute(sa.text("DELETE FROM procrastinate_jobs"))
        c.execute(sa.text("DELETE FROM procrastinate_workers"))


@pytest.fixture(scope="module")
def sinks():
    s = Sinks()
    yield s
    s.close()


@pytest.fixture(scope="module")
def service_env(published, loaded, data_dir, users, engine, sinks):
    """What an operator would put in the environment (or .env) for this county."""
    clean_slate(engine)

    def env(port: int | None = None, **extra) -> dict:
        return base_env(
            data_dir=data_dir,
            dem_path=loaded / "dem.tif",
            public_url=f"http://127.0.0.1:{port}" if port else None,
            log_format="console",
            **sinks.settings(),
            **extra,
        )

    return env


def start_serve(tmp_path_factory, env, *args) -> Service:
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    return Service(["serve", "--port", str(port), *args], env(port), log, port).start()


from tests.e2e.conftest import browser  # noqa: E402, F401  (Debian's Chromium, one per module)
