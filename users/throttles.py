"""
Throttles of the auth endpoints. DRF's scoped throttle keys anonymous callers on the client IP
(REMOTE_ADDR, or X-Forwarded-For only as far as settings NUM_PROXIES trusts it); the login endpoint
also keys on the submitted username, so credential stuffing against one account from many IPs is
slowed down too. The admin's login form counts against the same two limits, in the same counters
(AdminLoginRateThrottle, AdminLoginUsernameRateThrottle): one budget of guesses per IP and per
account, whichever door they come through.
"""

import hashlib

from movie_backend.throttling import CounterRateThrottle


class LoginUsernameRateThrottle(CounterRateThrottle):
    """Rate `login_username`, per submitted username (or email), trimmed and lower-cased."""

    scope = "login_username"

    def submitted_username(self, request):
        data = request.data
        return data.get("username") if hasattr(data, "get") else None

    def get_cache_key(self, request, view):
        identifier = self.submitted_username(request)
        if not isinstance(identifier, str) or not identifier.strip():
            return None  # nothing to key on: the body is rejected by validation anyway
        normalised = identifier.strip().lower()
        # Hashed: the key stays short and safe whatever characters a caller submits.
        ident = hashlib.sha256(normalised.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AdminLoginRateThrottle(CounterRateThrottle):
    """Rate `login`, per client IP, for the admin's login form (a plain Django view, no DRF scope)."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AdminLoginUsernameRateThrottle(LoginUsernameRateThrottle):
    """Rate `login_username` for the admin's login form, which posts a form, not JSON."""

    def submitted_username(self, request):
        return request.POST.get("username")
