"""The mails `make run` would have sent, as its local SMTP server received them."""

from pathlib import Path

from flask import abort, current_app, render_template

from app.dev import bp
from app.dev.mailbox import Mailbox


def _mailbox() -> Mailbox:
    return Mailbox(Path(current_app.config["DEV_MAIL_DIRECTORY"]))


@bp.get("/mail")
def mail_list() -> str:
    return render_template("dev/mail_list.html", mails=_mailbox().newest_first())


@bp.get("/mail/<name>")
def mail_one(name: str) -> str:
    mail = _mailbox().one(name)
    if mail is None:
        abort(404)
    return render_template("dev/mail_one.html", mail=mail)
