"""The languages Doorman speaks, without Flask: the services name places in each of them."""

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}  # each named in its own language
DEFAULT_LANGUAGE = "en"
