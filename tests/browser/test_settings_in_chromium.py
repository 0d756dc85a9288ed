"""The settings page as a person sees it in a real Chromium: the emails switch is a small checkbox
with its words beside it, inside the form, at desktop and phone width and in both languages."""

import pytest

from tests.browser.test_support_layout_in_chromium import _staff_page

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)

SWITCH = """() => {
  const box = document.querySelector('#new_device_emails').getBoundingClientRect();
  const label = document.querySelector('label[for=new_device_emails]').getBoundingClientRect();
  const form = document.querySelector('main form').getBoundingClientRect();
  return {width: box.width, height: box.height, boxRight: box.right, labelLeft: label.left,
          labelRight: label.right, labelTop: label.top, boxTop: box.top, formRight: form.right,
          labelHeight: label.height};
}"""


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_new_device_emails_switch_is_a_checkbox_with_its_label_beside_it(
        chromium, live_server, make_user, language, width):
    user = make_user("settings.reader@example.com")
    context, page = _staff_page(chromium, live_server, user.email, language, width)
    try:
        page.goto(f"{live_server}/account/settings")
        switch = page.evaluate(SWITCH)
    finally:
        context.close()

    assert switch["width"] <= 24 and switch["height"] <= 24  # a checkbox, not a text field's box
    assert switch["labelLeft"] >= switch["boxRight"]  # the words to its right
    assert switch["labelRight"] <= switch["formRight"] + 1  # and inside the form, not past its card
    assert abs(switch["labelTop"] - switch["boxTop"]) < 12  # starting on the box's line
