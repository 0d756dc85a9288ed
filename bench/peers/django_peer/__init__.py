"""The Django peer of benchmark 9: django-user-sessions on PostgreSQL, one login_required page.

Served from the peers' virtual environment: ``gunicorn bench.peers.django_peer.wsgi:application``.
``python -m bench.peers.django_peer.setup`` migrates it into its schema and makes the account.
"""
