"""Counted nouns: the one place a count chooses a word's form."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """"1 session", "3 sessions"; ``plural_form`` for nouns that do not just take an "s"."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {noun}"
