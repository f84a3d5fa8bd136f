"""A second factor for password sign-ins: time-based one-time codes (RFC 6238, pyotp).

Directors, leads and administrators who sign in with a password (or an invitation or reset link), and
everyone when an administrator's setting says so, set up an authenticator app once: a QR
code and the secret in text, confirmed by a code, then ten single-use recovery codes shown
once and stored only hashed. After the password such a session is half signed in: its
`user_session` row says a second factor is required and not yet given, and until a code or
a recovery code is given every page but these and signing out redirects here
(`routes.second_factor_first`, checked on every request from the session row).

Sign-ins through the OpenID Connect provider rely on the provider's own second factor: they
call `needs_second_factor(user, via_provider=True)`, or open their session with
`_start_session(user, via_provider=True)` in lms/auth/routes.py.
"""

from .operations import is_enrolled, mark_session, needs_second_factor

__all__ = ["is_enrolled", "mark_session", "needs_second_factor"]
