"""Schemathesis against the service's own OpenAPI document, in-process (ASGI), for every operation,
as an anonymous caller, an operator and an admin.

Every response must: not be a 5xx; have a status code the operation documents; have a documented
content type and a body valid against the documented schema; for a 405 (and the methods schemathesis
tries that an operation does not have), an ``Allow`` header listing exactly the documented methods;
for any 4xx, be RFC 9457 problem+json — except the acknowledgement page, which a person reads on a
phone and which answers a page.

Bounded for CI: schemathesis' deterministic coverage cases (boundaries, wrong types, missing fields,
undeclared methods) plus a fixed number of generated examples per operation (``FUZZ_EXAMPLES``,
default 8), seeded, derandomized, without shrinking. Path and query ids are sometimes swapped for
ones that exist (the published run, a plan, draft and issued warnings, acknowledgement links) so the
fuzzer also reaches the code behind the 404s.

Not checked, on purpose: ``positive_data_acceptance`` (a schema-valid request may still be refused by
the domain with 404/409/422: an unknown township, a warning that is no longer a draft) and
``negative_data_rejection`` (pydantic's lax mode accepts ``"3"`` for an integer and ``0`` for a
date-time, by design).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from backend.onemap.tiles import LAYERS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SEED = 20260701
PROBLEM_JSON = "application/problem+json"
PAGES = {"/ack/{token}"}  # answered as HTML pages, errors included


@schemathesis.check
def problem_json_for_4xx(ctx, response, case):
    """Every 4xx is problem+json with the RFC 9457 members (the acknowledgement page is a page)."""
    if not 400 <= response.status_code < 500 or case.operation.path in PAGES:
        return None
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if media != PROBLEM_JSON:
        raise AssertionError(f"{response.status_code} answered as {media!r}, not {PROBLEM_JSON}")
    body = response.json()
    if not (body.get("status") == response.status_code and body.get("title") and body.get("detail")):
        raise AssertionError(f"a problem needs status, title and detail: {body}")
    return True


@dataclass
class Outcome:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    seconds: float = 0.0
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (operation, check, title)
    errors: list[str] = field(default_factory=list)


def fuzz(app, headers: dict, known: dict) -> Outcome:
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},  # no replays of an earlier run's crashes: each run is the same
            "headers": headers,
            "workers": 1,
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
                "allow-x00": True,  # NUL characters too: PostgreSQL text cannot hold them
            },
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "negative_data_rejection": {"enabled": False},
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    def with_known(ctx, values):
        """The generated parameters, or the same with every id that has a known value swapped in."""
        if not values or not any(k in known for k in values):
            return st.just(values)
        swapped = {k: (st.sampled_from(known[k]) if k in known else st.just(v)) for k, v in values.items()}
        return st.one_of(st.just(values), st.fixed_dictionaries(swapped))

    schema.hook("flatmap_path_parameters")(with_known)
    schema.hook("flatmap_query")(with_known)

    out = Outcome()
    start = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            rec = event.recorder
            out.operations.add(rec.label)
            out.requests += len(rec.interactions)
            for checks in rec.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        f = check.failure_info.failure
                        key = (rec.label, check.name, f.title)
                        out.failures.setdefault(key, f"{f.message}\n    {check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            out.errors.append(f"{event.label}: {event.info}")
        elif isinstance(event, events.FatalError):
            out.errors.append(f"fatal: {event.exception!r}")
    out.seconds = time.perf_counter() - start
    return out


@pytest.fixture()
def fuzz_app(fuzz_world):
    """A fresh app per identity: the engine ends the app's lifespan (and its pools) when it is done."""
    from schemathesis.python import asgi

    from backend.app import create_app

    yield create_app(fuzz_world.settings)
    asgi.shutdown_lifespans()


@pytest.mark.parametrize("role", ["anonymous", "operator", "admin"])
def test_every_operation_answers_as_documented(role, fuzz_app, fuzz_world, capsys):
    headers = {} if role == "anonymous" else fuzz_world.tokens[role]
    out = fuzz(fuzz_app, headers, dict(fuzz_world.known, layer=list(LAYERS)))
    with capsys.disabled():
        print(
            f"\n  fuzz as {role}: {len(out.operations)} operations, {out.requests} requests, "
            f"{len(out.failures)} distinct failures, {out.seconds:.1f} s"
        )
    report = [f"{op} — {check}: {title}\n    {detail}" for (op, check, title), detail in out.failures.items()]
    assert not out.errors, "\n".join(out.errors)
    assert not report, f"{len(report)} distinct failures:\n" + "\n".join(report)
    documented = sum(len(methods) for methods in fuzz_app.openapi()["paths"].values())
    assert len(out.operations) == documented  # every operation was exercised
