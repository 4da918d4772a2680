"""`make lint`'s dependency audit (scripts/audit.py): a finding fails, an unreachable service skips."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"
spec = importlib.util.spec_from_file_location("audit", SCRIPT)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_known_python_vulnerability_fails_and_names_the_fix():
    report = {
        "dependencies": [
            {
                "name": "jinja2",
                "version": "2.10",
                "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}],
            },
            {"name": "idna", "version": "3.7", "vulns": []},
        ]
    }
    verdict, message = audit.python_verdict(report)
    assert verdict == "fail" and "jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)" in message


def test_a_service_that_knows_no_package_skips_instead_of_passing_silently():
    report = {"dependencies": [{"name": "alembic", "skip_reason": "Dependency not found on PyPI"}]}
    assert audit.python_verdict(report)[0] == "skip"
    clean = {"dependencies": [{"name": "idna", "version": "3.7", "vulns": []}]}
    assert audit.python_verdict(clean) == ("ok", "pip-audit: no known vulnerabilities in 1 packages")


def test_npm_findings_fail_from_moderate_up_and_an_unreachable_registry_skips():
    found = {"vulnerabilities": {"maplibre-gl": {}}, "metadata": {"vulnerabilities": {"high": 1, "total": 1}}}
    assert audit.npm_verdict(found)[0] == "fail"
    low = {"vulnerabilities": {"x": {}}, "metadata": {"vulnerabilities": {"low": 2, "total": 2}}}
    assert audit.npm_verdict(low)[0] == "ok"
    for offline in (
        {"error": {"code": "ENOTFOUND", "summary": "getaddrinfo ENOTFOUND"}},
        {"message": "request failed, reason: connect ECONNREFUSED 127.0.0.1:9", "error": {"summary": ""}},
        {"message": "405 Method Not Allowed", "statusCode": 405},
    ):
        assert audit.npm_verdict(offline)[0] == "skip"
