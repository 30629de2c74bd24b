"""
Throttles of the auth endpoints. DRF's scoped throttle keys anonymous callers on the client IP
(REMOTE_ADDR, or X-Forwarded-For only as far as settings NUM_PROXIES trusts it); the login endpoint
also keys on the submitted username, so credential stuffing against one account from many IPs is
slowed down too.
"""

import hashlib

from movie_backend.throttling import CounterRateThrottle


class LoginUsernameRateThrottle(CounterRateThrottle):
    """Rate `login_username`, per submitted username (or email), trimmed and lower-cased."""

    scope = "login_username"

    def get_cache_key(self, request, view):
        data = request.data
        identifier = data.get("username") if hasattr(data, "get") else None
        if not isinstance(identifier, str) or not identifier.strip():
            return None  # nothing to key on: the body is rejected by validation anyway
        normalised = identifier.strip().lower()
        # Hashed: the key stays short and safe whatever characters a caller submits.
        ident = hashlib.sha256(normalised.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
