"""Who sees responsible persons' phone numbers and e-mail addresses (docs/security.md).

- viewers (duty-room screens, liaison staff) need the picture, not the people: no phone numbers,
  no e-mail addresses, and no send errors (which may quote an address);
- operators chase the silent by phone (电话叫应) and run transfers: phone numbers, but e-mail
  addresses only masked (``l***@example.org``: that one exists and where) — mail goes out by the
  dispatcher, nobody types it;
- admins keep the directory of responsible persons: everything.

Every answer that carries recipients goes through these functions.
"""

from __future__ import annotations

from backend.auth.service import has_role
from backend.models import AppUser
from backend.security.redact import mask_email


def sees_phones(user: AppUser | None) -> bool:
    return has_role(user, "operator")


def sees_emails(user: AppUser | None) -> bool:
    return has_role(user, "admin")


def contacts_for(user: AppUser | None, person: dict) -> dict:
    """``person`` (a dict with ``phone`` / ``email`` / ``last_error`` keys, any of them) as
    ``user`` may see it: a new dict, the values they may not see masked or set to None."""
    out = dict(person)
    if "phone" in out and not sees_phones(user):
        out["phone"] = None
    if "email" in out and not sees_emails(user):
        out["email"] = mask_email(out["email"]) if sees_phones(user) else None
    if "last_error" in out and not sees_phones(user) and out["last_error"]:
        out["last_error"] = "failed (details for operators)"
    return out
