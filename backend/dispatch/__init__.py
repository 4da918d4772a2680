"""Sending messages: channels (SMTP, webhook, SMS, broadcast) and the procrastinate queue.

Generic: it sends messages and runs jobs, and knows nothing of a warning's lifecycle.
"""
