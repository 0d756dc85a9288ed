"""Forms on the signed-in person's own pages: devices, password, settings; and the language switch."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.i18n import LANGUAGES
from app.models.known_device import KNOWN_DEVICE_NAME_MAX_LENGTH
from app.services.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH


class SignOutOthersForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])
    submit = SubmitField(_l("Sign out all other sessions"))


class DismissMoveForm(FlaskForm):
    """Seen it: a moved session is no longer flagged. A POST carrying only its CSRF token."""

    submit = SubmitField(_l("Dismiss"))


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class DeviceNameForm(FlaskForm):
    """What a person calls one of their devices ("Work laptop"): 1 to 40 characters, or "Clear name".

    The name is kept as typed, spaces around it aside; it is never translated, and escaped wherever shown.
    """

    name = StringField(
        _l("Name for this device"), filters=[_stripped],
        validators=[DataRequired(message=_l("Type a name for this device, or clear its name.")),
                    Length(min=1, max=KNOWN_DEVICE_NAME_MAX_LENGTH,
                           message=_l("A device’s name can be at most %(max)d characters."))],
    )
    submit = SubmitField(_l("Save name"))
    clear = SubmitField(_l("Clear name"))


class ChangePasswordForm(FlaskForm):
    """Current password (which is also the re-authentication), then the new one twice.

    Any characters are allowed and nothing is trimmed or case-folded: the
    password is checked exactly as typed (ASVS 5.0 6.2.5, 6.2.8).
    """

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
                # WTForms fills in min and max.
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
    )
    confirm_new_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords are not the same."))],
    )
    submit = SubmitField(_l("Change password"))

    def validate_new_password(self, field: PasswordField) -> None:
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_("The new password must be different from the current one."))


def _language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


class LanguageForm(FlaskForm):
    """The switch on every page: a language, and the page to come back to."""

    language = SelectField(_l("Language"), choices=_language_choices, validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField(_l("Change language"))


class SettingsForm(FlaskForm):
    """The signed-in person's language and time zone; ``time_zone`` choices are set per request."""

    language = SelectField(_l("Language"), choices=_language_choices, validators=[DataRequired()])
    time_zone = SelectField(_l("Time zone"), validators=[DataRequired()])
    new_device_emails = BooleanField(_l("Email me when my account is signed in to from a new device or country"))
    submit = SubmitField(_l("Save settings"))
