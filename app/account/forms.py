"""Forms on the devices page."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class EndSessionForm(FlaskForm):
    """Signs one session out; carries only the CSRF token (the id is in the URL)."""

    submit = SubmitField("Sign out")


class SignOutOthersForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign out all other sessions")
