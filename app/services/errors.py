"""Domain errors. Views turn them into a 404, a 403 or a flash message."""


class DoormanError(Exception):
    """Base class for errors a service raises on purpose."""


class SessionNotFound(DoormanError):
    """No active session with that id belongs to the user asking."""


class InvalidCredentials(DoormanError):
    """The email or the password is wrong (deliberately not saying which)."""


class CredentialsChanged(DoormanError):
    """The password was changed after it was verified, so it opens no session."""


class IncorrectPassword(DoormanError):
    """The password given as the current one is not the account's password."""


class UserNotFound(DoormanError):
    """No account has that email."""


class EmailTaken(DoormanError):
    """Another account already uses that email."""


class InvalidRole(DoormanError):
    """The role is not one of the known roles."""


class ReasonRequired(DoormanError):
    """A staff action needs a reason of 3 to 500 characters."""


class NotAllowed(DoormanError):
    """This staff member may not do that to that account."""


class ViewNotRecorded(DoormanError):
    """No look at this account by this staff member is on record, and this request may not record one."""


class TooManyAttempts(DoormanError):
    """A password budget is spent, so no password was checked.

    ``retry_after`` is how many seconds until every spent budget has room again.
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many password attempts; retry after {retry_after} seconds")
        self.retry_after = retry_after


class OrganisationNotFound(DoormanError):
    """No organisation has that name."""


class OrganisationExists(DoormanError):
    """Another organisation already has that name."""


class InvalidOrganisationName(DoormanError):
    """An organisation's name is 1 to 100 characters, once trimmed."""


class DeviceNotFound(DoormanError):
    """No known device with that id belongs to the user asking."""


class InvalidDeviceName(DoormanError):
    """A device's name must be 1 to 40 characters once the spaces around it are stripped."""


class EventTableBusy(DoormanError):
    """Making or dropping a partition of security_events waited its lock timeout out; nothing was changed."""
