"""The links a mail carries.

``LinkFor`` turns the session a mail tells about into the URL of its "Not you?
End this session" link. The signed, single-use link and its page are built
elsewhere (issue 14's confirmation page); until then, and wherever none is
passed in, ``devices_link`` points at the devices page, where a signed-in
person can end any session.
"""

from collections.abc import Callable

from app.models import UserSession

LinkFor = Callable[[UserSession], str]


def devices_link(public_url: str) -> LinkFor:
    def link_for(_session: UserSession) -> str:
        return public_url.rstrip("/") + "/devices"

    return link_for


def settings_link(public_url: str) -> str:
    return public_url.rstrip("/") + "/account/settings"
