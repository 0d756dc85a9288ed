"""End-session link tokens out of the request log: the path that carries one is logged without it.

The token is in the URL path (a mail's link can carry nothing else), and
werkzeug's request log, like Flask's "Exception on <path>" line, writes the
path. A filter on those loggers puts a placeholder where the token was. A
front server's access log (gunicorn's, nginx's) is the operator's to set up:
docs say to drop or cut that path there too.
"""

import logging
import re

from flask import Flask

_LINK_PATH = re.compile(r"(/sessions/end/)[^\s?\"'/]+")
PLACEHOLDER = r"\1[link]"


def without_link_tokens(text: str) -> str:
    return _LINK_PATH.sub(PLACEHOLDER, text)


class LinkTokenFilter(logging.Filter):
    """Rewrites a record whose message names a link's path; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = without_link_tokens(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def keep_link_tokens_out_of_the_log(app: Flask) -> None:
    link_filter = LinkTokenFilter()
    for logger in (logging.getLogger("werkzeug"), app.logger):
        if not any(isinstance(f, LinkTokenFilter) for f in logger.filters):
            logger.addFilter(link_filter)
