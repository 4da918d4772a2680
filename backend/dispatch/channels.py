"""The channels a message leaves by: e-mail (SMTP), webhook (signed JSON), SMS and broadcast.

A channel either returns (the message was accepted by the next hop), raises
:class:`TemporaryFailure` (try again later: connection refused, timeouts, 4xx SMTP replies,
HTTP 5xx/408/429) or raises :class:`PermanentFailure` (retrying cannot help: a refused address,
HTTP 4xx). Every message carries an idempotency key that the next hop sees (Message-ID,
``Idempotency-Key``, the provider's client reference), so a resend after a crash between
"sent" and "recorded" is recognisable downstream.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import logging
import smtplib
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import httpx

from backend.config import Settings
from backend.security.redact import mask_phone, redact_tokens

log = logging.getLogger("riskmap.dispatch")


class TemporaryFailure(Exception):
    """The next hop could not take the message now; a retry may succeed."""


class PermanentFailure(Exception):
    """The next hop refused the message for good."""


@dataclass(frozen=True)
class Message:
    channel: str  # email, sms, webhook, broadcast
    address: str  # e-mail address, phone number, village code, or the webhook URL
    subject: str
    text: str
    idempotency_key: str
    data: dict = field(default_factory=dict)  # the structured form (webhook body)


class SmsProvider(Protocol):
    def send(self, phone: str, text: str, reference: str) -> None: ...


class BroadcastProvider(Protocol):
    def play(self, village_code: str, text: str, reference: str) -> None: ...


class LoggingSmsProvider:
    """Writes the SMS to the log instead of sending it: the default until a gateway is configured."""

    def send(self, phone: str, text: str, reference: str) -> None:
        # the log is no phone: the link's token and most of the number stay out of it
        log.info("SMS to %s [%s]: %s", mask_phone(phone), reference, redact_tokens(text))


class LoggingBroadcastProvider:
    """Writes the broadcast (应急广播) text to the log; a real provider hands it to the village's
    loudspeaker system (IP broadcast / TTS)."""

    def play(self, village_code: str, text: str, reference: str) -> None:
        log.info("broadcast to village %s [%s]: %s", village_code, reference, redact_tokens(text))


def load_provider(spec: str, default):
    """``logging`` or ``package.module:Class`` (instantiated without arguments)."""
    if spec == "logging":
        return default()
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)()


def email_of(settings: Settings, msg: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = msg.address
    mail["Subject"] = msg.subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = f"<{msg.idempotency_key}@riskmap>"
    mail.set_content(msg.text)
    return mail


class SmtpSessions:
    """E-mail over SMTP with one session per worker thread, kept open between messages: a
    county-wide warning is hundreds of e-mails to the same relay, and a new session each (TCP,
    greeting, EHLO, STARTTLS, AUTH, QUIT) costs more than the message. A session the relay has
    dropped while idle is opened again once; a message whose session broke mid-way may reach the
    relay twice, with the same Message-ID (at-least-once)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._local = threading.local()
        self._open_sessions: set[smtplib.SMTP] = set()
        self._lock = threading.Lock()
        self._helo: str | None = None

    def send(self, msg: Message) -> None:
        s = self.settings
        mail = email_of(s, msg)
        try:
            smtp = getattr(self._local, "smtp", None)
            if smtp is not None:
                try:
                    smtp.send_message(mail)
                    return
                except (smtplib.SMTPServerDisconnected, ConnectionError):
                    self._drop()  # the relay closed it while idle: a new session, once
            smtp = self._connect()
            smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= c < 600 for c in codes):
                raise PermanentFailure(f"SMTP refused {msg.address}: {exc.recipients}") from exc
            raise TemporaryFailure(f"SMTP deferred {msg.address}: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the relay is closing the session
                self._drop()
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise TemporaryFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporaryFailure(f"SMTP server {s.smtp_host}:{s.smtp_port} unreachable: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if self._helo is None:
            self._helo = socket.getfqdn()  # once: smtplib would look it up for every session
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, local_hostname=self._helo, timeout=s.smtp_timeout_s)
        try:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except BaseException:
            smtp.close()
            raise
        self._local.smtp = smtp
        with self._lock:
            self._open_sessions.add(smtp)
        return smtp

    def _drop(self) -> None:
        """Close this thread's session (broken, or closed by the relay)."""
        smtp, self._local.smtp = getattr(self._local, "smtp", None), None
        if smtp is None:
            return
        with self._lock:
            self._open_sessions.discard(smtp)
        smtp.close()

    def close(self) -> None:
        """QUIT every session (the worker is stopping)."""
        with self._lock:
            sessions, self._open_sessions = self._open_sessions, set()
        for smtp in sessions:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + HMAC-SHA256 over ``timestamp.body`` (the receiver recomputes and compares)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_webhook_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does with ``X-Riskmap-Signature``: recompute and compare in constant time
    (never ``==``: its early exit tells an attacker how many leading characters were right)."""
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), signature)


def send_webhook(settings: Settings, secret: str, msg: Message, client: httpx.Client | None = None) -> None:
    body = json.dumps(msg.data, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": msg.idempotency_key,
        "X-Riskmap-Event": msg.data.get("event", "warning"),
        "X-Riskmap-Timestamp": timestamp,
        "X-Riskmap-Signature": webhook_signature(secret, timestamp, body),
    }
    try:
        if client is None:
            with httpx.Client(timeout=settings.webhook_timeout_s) as own:
                response = own.post(msg.address, content=body, headers=headers)
        else:
            response = client.post(msg.address, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise TemporaryFailure(f"webhook {msg.address} unreachable: {exc}") from exc
    if response.is_success:
        return
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise TemporaryFailure(f"webhook answered {response.status_code}")
    raise PermanentFailure(f"webhook answered {response.status_code}: {response.text[:200]}")


class Channels:
    """All channels with their configuration; :meth:`send` picks one by the message's channel."""

    def __init__(self, settings: Settings, webhook_secret: str):
        self.settings = settings
        self.webhook_secret = webhook_secret
        self.sms: SmsProvider = load_provider(settings.sms_provider, LoggingSmsProvider)
        self.broadcast: BroadcastProvider = load_provider(
            settings.broadcast_provider, LoggingBroadcastProvider
        )
        self._http = httpx.Client(timeout=settings.webhook_timeout_s)
        self.smtp = SmtpSessions(settings)

    def send(self, msg: Message) -> None:
        if msg.channel == "email":
            self.smtp.send(msg)
        elif msg.channel == "webhook":
            send_webhook(self.settings, self.webhook_secret, msg, self._http)
        elif msg.channel == "sms":
            self.sms.send(msg.address, msg.text, msg.idempotency_key)
        elif msg.channel == "broadcast":
            self.broadcast.play(msg.address, msg.text, msg.idempotency_key)
        else:
            raise PermanentFailure(f"unknown channel {msg.channel!r}")

    def close(self) -> None:
        self._http.close()
        self.smtp.close()
