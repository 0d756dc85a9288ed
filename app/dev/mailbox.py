"""The mails the development SMTP server (app.dev_mail) kept, read back from their .eml files."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

# The sink's own file names only: nothing that could climb out of the directory.
MAIL_FILE_NAME = re.compile(r"^[0-9A-Za-z_-]{1,80}\.eml$")
LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True)
class ReceivedMail:
    name: str
    subject: str
    to: str
    received_at: datetime
    text: str
    html: str

    @property
    def links(self) -> list[str]:
        """The addresses in the text part, in order, once each."""
        return list(dict.fromkeys(LINK.findall(self.text)))


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    return body.get_content() if body is not None else ""


def read_mail(path: Path) -> ReceivedMail:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return ReceivedMail(
        name=path.name, subject=str(message.get("Subject", "")), to=str(message.get("To", "")),
        received_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
        text=_part(message, "plain"), html=_part(message, "html"),
    )


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def newest_first(self) -> list[ReceivedMail]:
        if not self._directory.is_dir():
            return []
        paths = [p for p in self._directory.iterdir() if MAIL_FILE_NAME.match(p.name) and p.is_file()]
        return sorted((read_mail(p) for p in paths), key=lambda m: (m.received_at, m.name), reverse=True)

    def one(self, name: str) -> ReceivedMail | None:
        if not MAIL_FILE_NAME.match(name):
            return None
        path = self._directory / name
        return read_mail(path) if path.is_file() else None
