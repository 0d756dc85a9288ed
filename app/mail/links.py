"""The links a mail carries.

``LinkFor`` turns the session a mail tells about into the URL of its "Not you?
End this session" link: ``end_session_link`` issues a signed, single-use link
(app.services.end_session_links) whose page, app.alerts, ends that session
only.
"""

from collections.abc import Callable
from typing import Protocol

from app.models import UserSession

LinkFor = Callable[[UserSession], str]


class IssuesEndSessionLinks(Protocol):
    def issue(self, session: UserSession) -> str: ...


def end_session_link(public_url: str, links: IssuesEndSessionLinks) -> LinkFor:
    """The URL of a new link that ends ``session``; its row joins the mail's transaction."""
    def link_for(session: UserSession) -> str:
        return f"{public_url.rstrip('/')}/sessions/end/{links.issue(session)}"

    return link_for


def settings_link(public_url: str) -> str:
    return public_url.rstrip("/") + "/account/settings"
