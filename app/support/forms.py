"""Forms of the support console."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SearchField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.models.security_event import STAFF_REASON_MAX_LENGTH
from app.services.audit import STAFF_REASON_MIN_LENGTH

REASON_HELP = _l(
    "Say why, for the record: %(min)d to %(max)d characters.", min=STAFF_REASON_MIN_LENGTH, max=STAFF_REASON_MAX_LENGTH
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


class UserSearchForm(FlaskForm):
    """A GET form: searching changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Email starts with"), validators=[Optional(), Length(max=254)], filters=[_strip])


def _reason_field() -> StringField:
    return StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=REASON_HELP),
            Length(min=STAFF_REASON_MIN_LENGTH, max=STAFF_REASON_MAX_LENGTH, message=REASON_HELP),
        ],
        filters=[_strip],
        description=REASON_HELP,
    )


class OpenAccountForm(FlaskForm):
    """Opening an account from a link Doorman cannot vouch for: a POST, so it carries a CSRF token."""

    submit = SubmitField(_l("Open this account"))


class EndSessionForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Sign out this session"))


class EndAllSessionsForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Sign out all sessions"))


class RevealIPForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Show the full IP address"))


class AuditFilterForm(FlaskForm):
    """A GET form over query parameters; ``staff`` choices are set by the view."""

    class Meta:
        csrf = False

    staff = SelectField(_l("Staff member"), coerce=_optional_int, validate_choice=True)
    # An email, which staff know; not the account's id, which they do not.
    account = EmailField(_l("Account email"), validators=[Optional(), Length(max=254)], filters=[_strip])
