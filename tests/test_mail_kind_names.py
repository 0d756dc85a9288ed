"""Every kind of email has a name in each language, for the admins' list of emails given up on."""

import pytest
from flask_babel import force_locale

from app.models import MailKind
from app.presenters.mail import mail_kind_name


@pytest.mark.parametrize("kind", list(MailKind))
def test_every_kind_of_mail_is_named_in_english_and_spanish(app, kind):
    with app.test_request_context():
        with force_locale("en"):
            english = mail_kind_name(kind.value)
        with force_locale("es"):
            spanish = mail_kind_name(kind.value)
    assert english != kind.value and spanish != kind.value  # never the stored code
    assert spanish != english


def test_a_kind_this_version_does_not_know_is_shown_as_stored(app):
    with app.test_request_context():
        assert mail_kind_name("from_a_later_version") == "from_a_later_version"
