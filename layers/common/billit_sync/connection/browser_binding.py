"""The cookie that binds a Billit login to the browser that started it (RFC 9700 §4.7.1).

Its own module, so the settings page, which sets it when it starts a login, does not load the
OAuth flow to know its name and lifetime (cold start, issue 16).
"""

from datetime import timedelta
from typing import Final

STATE_TTL: Final = timedelta(minutes=10)
"""How long a login's state (and so the browser cookie) is valid."""
BROWSER_COOKIE: Final = "__Host-billit-connect"
