"""Benchmarks: what revocable, database-backed sessions cost next to Flask's stateless cookie.

``make bench`` (or ``python -m bench``) runs them all and prints one table;
``bench/README.md`` says what each measures and shows a full run.
"""
