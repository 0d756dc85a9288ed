"""Benchmark 9: Doorman next to the session stores people would use instead.

``run.py`` is the benchmark (Doorman's environment); ``flask_peers.py`` and
``django_peer/`` are the peers, served by gunicorn from a virtual environment
of their own (``bench/peers/.venv``, made from ``requirements.txt`` on first
use), never installed into Doorman's. Nothing here imports Doorman or the
peers' packages at import time, so both environments can import the package.
"""
