"""Security emails: what they say (``alerts``), and the worker that sends the outbox (``delivery``)."""
