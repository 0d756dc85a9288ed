"""Forms on the signed-in person's own pages: devices and password."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.services.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH


class SignOutOthersForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])
    submit = SubmitField("Sign out all other sessions")


class ChangePasswordForm(FlaskForm):
    """Current password (which is also the re-authentication), then the new one twice.

    Any characters are allowed and nothing is trimmed or case-folded: the
    password is checked exactly as typed (ASVS 5.0 6.2.5, 6.2.8).
    """

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
                message=f"Use between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH} characters.",
            ),
        ],
    )
    confirm_new_password = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords are not the same.")],
    )
    submit = SubmitField("Change password")

    def validate_new_password(self, field: PasswordField) -> None:
        if field.data and field.data == self.current_password.data:
            raise ValidationError("The new password must be different from the current one.")
