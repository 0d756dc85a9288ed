"""Migrate the Django peer into its schema and make the account it signs in."""

import os

import django
from django.core.management import call_command

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.django_peer.settings")


def main() -> None:
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth import get_user_model

    user = get_user_model()(username="bench", email="bench@example.com")
    user.set_unusable_password()  # never signed in with a password: no hashing to time
    user.save()


if __name__ == "__main__":
    main()
