"""Keep secrets out of logs: the acknowledgement and transfer links carry their token in the path."""

from __future__ import annotations

import re

#: /ack/{token}, /api/ack/{token}, /transfer/{token}, /api/transfer/{token}: the token is the secret
_TOKEN_PATH = re.compile(r"(/(?:ack|transfer)/)[^/?#\s]+")
REDACTED = "***"


def redact_path(path: str) -> str:
    """The path as it may be logged: a link's token replaced by ``***``."""
    if "/ack/" not in path and "/transfer/" not in path:
        return path
    return _TOKEN_PATH.sub(r"\1" + REDACTED, path)


def redact_tokens(text: str) -> str:
    """A message text (an SMS, an e-mail) as it may be logged: every link's token replaced."""
    return _TOKEN_PATH.sub(r"\1" + REDACTED, text)


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: enough to tell numbers apart in a log, not to call one."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str | None) -> str | None:
    """``li.ming@example.org`` → ``l***@example.org``: shows that an address exists and where."""
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
