"""Dependency audit for `make lint`: pip-audit over the Python environment, npm audit over frontend/.

Exit 1 on a known vulnerability (any severity for Python — PyPI's advisories carry none —;
moderate or worse for the page's npm packages). When the vulnerability service cannot be reached,
or answers for none of the packages (a mirror without PyPI's per-release JSON, an npm registry
without the audit endpoint), the audit is skipped with a line saying so and exit 0: an offline
bureau or CI must still build. ``AUDIT_STRICT=1`` turns a skipped audit into a failure.

Usage: python scripts/audit.py [--python-json FILE] [--npm-json FILE]  (canned answers, for tests)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_LEVELS = ("moderate", "high", "critical")
UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ENETUNREACH", "EPROTO")


def python_verdict(report: dict) -> tuple[str, str]:
    """('fail'|'skip'|'ok', message) for pip-audit's JSON report."""
    deps = report.get("dependencies", [])
    found = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    if found:
        lines = [
            f"{d['name']} {d['version']}: "
            + ", ".join(
                f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release yet'])})"
                for v in d["vulns"]
            )
            for d in found
        ]
        return "fail", "known vulnerabilities in Python packages:\n  " + "\n  ".join(lines)
    if deps and not audited:
        return "skip", (
            f"pip-audit: the vulnerability service knows none of the {len(deps)} installed packages "
            "(this index does not serve PyPI's per-release data): Python audit skipped"
        )
    skipped = len(deps) - len(audited)
    more = f" ({skipped} not known to the service, not audited)" if skipped else ""
    return "ok", f"pip-audit: no known vulnerabilities in {len(audited)} packages{more}"


def npm_verdict(report: dict) -> tuple[str, str]:
    """('fail'|'skip'|'ok', message) for `npm audit --json`."""
    if "error" in report or "statusCode" in report or "message" in report and "metadata" not in report:
        err = report.get("error") or {}
        code = err.get("code") if isinstance(err, dict) else None
        status = report.get("statusCode")
        why = code or (f"HTTP {status}" if status else None) or report.get("message", "no answer")
        return "skip", f"npm audit: the registry's audit service did not answer ({why}): page audit skipped"
    counts = report.get("metadata", {}).get("vulnerabilities", {})
    bad = {level: counts.get(level, 0) for level in NPM_LEVELS if counts.get(level, 0)}
    if bad:
        names = sorted(report.get("vulnerabilities", {}))
        return "fail", (
            "known vulnerabilities in the page's npm packages: "
            + ", ".join(f"{n} {level}" for level, n in bad.items())
            + (f" ({', '.join(names)}); run `npm audit` in frontend/" if names else "")
        )
    total = counts.get("total", 0)
    return "ok", f"npm audit: no moderate or worse vulnerabilities ({total} low/info)"


def run_pip_audit() -> tuple[str, str]:
    exe = Path(sys.executable).with_name("pip-audit")
    if not exe.exists():
        return "skip", "pip-audit is not installed (`make venv` installs it): Python audit skipped"
    done = subprocess.run(
        [str(exe), "--skip-editable", "--progress-spinner", "off", "-f", "json", "--timeout", "20"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return (
            "skip",
            f"pip-audit could not reach its vulnerability service ({last[:200]}): Python audit skipped",
        )
    return python_verdict(report)


def run_npm_audit() -> tuple[str, str]:
    if shutil.which("npm") is None:
        return "skip", "npm is not installed: page audit skipped"
    done = subprocess.run(
        ["npm", "audit", "--json", "--omit=dev", "--fetch-timeout=20000", "--fetch-retries=1"],
        cwd=ROOT / "frontend",
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        text = done.stderr + done.stdout
        why = next((c for c in UNREACHABLE if c in text), "no JSON answer")
        return "skip", f"npm audit: the registry's audit service did not answer ({why}): page audit skipped"
    return npm_verdict(report)


def main(argv: list[str]) -> int:
    canned = dict(zip(argv[::2], argv[1::2], strict=False))
    results = []
    if "--python-json" in canned:
        results.append(python_verdict(json.loads(Path(canned["--python-json"]).read_text())))
    if "--npm-json" in canned:
        results.append(npm_verdict(json.loads(Path(canned["--npm-json"]).read_text())))
    if not canned:
        results = [run_pip_audit(), run_npm_audit()]
    strict = os.environ.get("AUDIT_STRICT") == "1"
    failed = False
    for verdict, message in results:
        print(("FAIL " if verdict == "fail" else "skip " if verdict == "skip" else "ok   ") + message)
        failed |= verdict == "fail" or (strict and verdict == "skip")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
