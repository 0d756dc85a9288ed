"""gunicorn's configuration for Doorman: ``gunicorn -c app/gunicorn.conf.py wsgi:app``.

Every value comes from the environment: see app/serving.py for the names and defaults.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.serving import gunicorn_settings  # noqa: E402

globals().update(gunicorn_settings(os.environ))
