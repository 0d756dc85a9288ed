"""Data turned into words, times and places for a reader: the one home of user-facing wording.

Services return facts (columns, dataclasses, JSON details); these modules
choose the words. Translations will be applied here.
"""
