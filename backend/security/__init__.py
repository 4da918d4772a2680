"""The service's protections that sit at its door, as plain ASGI and plain Python (no FastAPI):
request-body limits checked before a body is read (asgi.py), security headers on every response
(asgi.py), throttles against guessed passwords and links (throttle.py), and redaction of secrets
from what is logged (redact.py). docs/security.md is the threat model they answer to."""
