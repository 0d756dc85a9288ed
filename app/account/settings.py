"""The person's settings (language, time zone) and the language switch every page carries."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.account import bp
from app.account.forms import LanguageForm, SettingsForm
from app.auth.redirects import safe_next
from app.extensions import db, services
from app.i18n import LANGUAGE_COOKIE_MAX_AGE, available_time_zones, known_time_zone, select_locale, select_timezone

TEMPLATE = "account/settings.html"


def time_zone_choices(detected: str) -> list[tuple[str, str]]:
    """Every IANA zone, the detected one first; shown as named ("America/New_York")."""
    others = sorted(zone for zone in available_time_zones() if zone != detected)
    return [(zone, zone.replace("_", " ")) for zone in (detected, *others)]


@bp.route("/account/settings", methods=["GET", "POST"])
@login_required
def settings() -> Response | str:
    """Choose the language and time zone every page uses (they apply from the next page), and the new-device emails."""
    detected = known_time_zone(current_user.session_time_zone) or "UTC"
    form = SettingsForm()
    form.time_zone.choices = time_zone_choices(detected)
    if request.method == "GET":
        form.language.data = select_locale()
        form.time_zone.data = select_timezone()
        form.new_device_emails.data = current_user.new_device_emails
    if not form.validate_on_submit():
        return render_template(TEMPLATE, form=form, detected_time_zone=detected)
    users = services().users
    users.save_preferences(current_user.id, language=form.language.data, time_zone=form.time_zone.data)
    users.save_new_device_emails(current_user.id, bool(form.new_device_emails.data))
    db.session.commit()
    with_language(form.language.data)
    flash(_("Your settings were saved."), "success")
    return redirect(url_for("account.settings"))


def with_language(language: str) -> None:
    """From here on, this response speaks ``language`` (its flash message too)."""
    g.language = language
    refresh()


@bp.post("/language")
def choose_language() -> Response:
    """The language switch: kept in a cookie, and on the account when someone is signed in."""
    form = LanguageForm()
    back = safe_next(form.next.data) or url_for("account.index")
    if not form.validate_on_submit():
        flash(_("That language is not available."), "warning")
        return redirect(back)
    if current_user.is_authenticated:
        services().users.save_language(current_user.id, form.language.data)
        db.session.commit()
    response = redirect(back)
    config = current_app.config
    response.set_cookie(
        config["LANGUAGE_COOKIE"], form.language.data, max_age=LANGUAGE_COOKIE_MAX_AGE,
        secure=config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax", path="/",
    )
    return response
