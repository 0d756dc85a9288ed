"""The one button of an end-session link's page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class EndSessionForm(FlaskForm):
    """Only the CSRF token and the button: which session is ended comes from the link."""

    submit = SubmitField(_l("End this session"))
