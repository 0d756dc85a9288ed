"""The outbox worker: sends what is pending over SMTP, outside any request.

Each round claims the due mails (a short transaction, committed at once),
sends each over a connection of its own, and records how it went. A reply in
the 5xx range is permanent: the mail has failed, with the server's words in
``last_error``. Anything else (a 4xx reply, a refused or dropped connection, a
timeout) is retried with exponential backoff until MAX_ATTEMPTS. A mail whose
connection dropped after the message was sent may arrive twice: delivery is
at least once, and every attempt carries the same Message-ID.

The SMTP password never leaves ``SmtpServer``: not in its repr, not in an
error, not in a log line.
"""

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from app.config import ConfigurationError
from app.models import MailStatus, OutboxMail
from app.models.outbox_mail import SWITCHABLE_MAIL_KINDS
from app.services.mail_outbox import MailOutbox

SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}
DEFAULT_PORTS = {"plain": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, from SMTP_URL: smtp://[user:pass@]host[:port][?starttls=true], smtp+starttls://, smtps://."""

    host: str
    port: int
    security: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10

    @classmethod
    def from_url(cls, url: str, *, timeout: float) -> "SmtpServer":
        parts = urlsplit(url)
        security = SCHEMES.get(parts.scheme)
        if security is None or not parts.hostname:
            # Only the scheme is repeated: the rest of the URL may hold a password.
            raise ConfigurationError(
                "SMTP_URL must be smtp://host:port, smtp+starttls://host:port or smtps://host:port "
                f"(credentials as user:password@host), got a {parts.scheme or 'schemeless'} URL"
            )
        if security == "plain" and parse_qs(parts.query).get("starttls", [""])[0].lower() in ("1", "true", "yes"):
            security = "starttls"
        try:
            port = parts.port or DEFAULT_PORTS[security]
        except ValueError:
            raise ConfigurationError("SMTP_URL has a port that is not a number") from None
        return cls(
            host=parts.hostname, port=port, security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )

    def send(self, message: EmailMessage) -> None:
        """Send one message on a connection of its own; raises smtplib's or the socket's error."""
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password or "")
            connection.send_message(message)
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()


class Round(NamedTuple):
    sent: int
    retried: int
    failed: int


def build_message(mail: OutboxMail, *, mail_from: str, settings_url: str) -> EmailMessage:
    """The message as sent: the same bytes' worth of headers at every attempt."""
    message = EmailMessage()
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message["From"] = mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    if mail.kind in SWITCHABLE_MAIL_KINDS:
        # The settings page, where the switch is. No List-Unsubscribe-Post: that promises a
        # one-click POST endpoint (RFC 8058), and turning alerts off needs the person signed in.
        message["List-Unsubscribe"] = f"<{settings_url}>"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


def describe_failure(error: Exception) -> tuple[str, bool]:
    """What went wrong, in words safe to store (no credentials), and whether it is permanent."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return f"recipient refused: {', '.join(str(code) for code in codes)}", permanent
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        return f"{type(error).__name__}: {error.smtp_code} {text}", 500 <= error.smtp_code < 600
    if isinstance(error, TimeoutError):
        return "timed out waiting for the SMTP server", False
    return f"{type(error).__name__}: {error}", False


class MailDelivery:
    """One worker's rounds over the outbox."""

    def __init__(self, outbox: MailOutbox, *, commit: Callable[[], None],
                 smtp: SmtpServer, mail_from: str, settings_url: str, logger: logging.Logger) -> None:
        self._outbox = outbox
        self._commit = commit
        self._smtp = smtp
        self._mail_from = mail_from
        self._settings_url = settings_url
        self._logger = logger

    def deliver_due(self, *, batch_size: int = 20) -> Round:
        """Send every mail due now, batch after batch; how many went, will be retried, failed for good."""
        sent = retried = failed = 0
        while True:
            claimed = self._outbox.claim(batch_size)
            batch = [(mail.id, build_message(mail, mail_from=self._mail_from, settings_url=self._settings_url))
                     for mail in claimed]
            self._commit()  # the claim, before any SMTP traffic
            for mail_id, message in batch:
                try:
                    self._smtp.send(message)
                except (smtplib.SMTPException, OSError) as error:
                    reason, permanent = describe_failure(error)
                    status = self._outbox.failed_attempt(mail_id, reason, permanent=permanent)
                    self._commit()
                    self._logger.warning("mail %s not sent (%s): %s", mail_id, status, reason)
                    if status == MailStatus.FAILED:
                        failed += 1
                    else:
                        retried += 1
                    continue
                self._outbox.sent(mail_id)
                self._commit()
                sent += 1
            if len(batch) < batch_size:
                return Round(sent, retried, failed)
