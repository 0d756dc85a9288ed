"""Where the API lives, for the app-wide code that must treat its requests apart (cookies, error pages)."""

API_PREFIX = "/api/v1"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")
