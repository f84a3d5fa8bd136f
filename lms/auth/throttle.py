"""Limits on password guesses and reset emails that hold however the requests arrive.

An attempt reserves its place before the password is checked, so guesses sent in parallel
are counted before any of them is answered; an attempt that turns out right gives its place
back, so only failures count. Counters live in the rate-limit store (LMS_RATELIMIT_STORAGE_URI:
one process's memory, or Redis shared by every worker and server), in fixed windows of the
setting's length.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse

from ..extensions import client_address, limiter
from ..formatting import plural


@dataclass(frozen=True)
class Throttle:
    scope: str
    setting: str  # the config key holding e.g. "5 per 15 minutes"

    def _item(self) -> RateLimitItem:
        return parse(current_app.config[self.setting])

    def reserve(self, key: str) -> bool:
        """Take one place for `key`; False (and nothing taken) when none is left."""
        item = self._item()
        counter = item.key_for(self.scope, key)
        if limiter.storage.incr(counter, item.get_expiry()) <= item.amount:
            return True
        limiter.storage.incr(counter, item.get_expiry(), amount=-1)
        return False

    def release(self, key: str) -> None:
        """Give back a place taken by an attempt that did not fail."""
        item = self._item()
        counter = item.key_for(self.scope, key)
        if limiter.storage.get(counter) > 0:  # not when its window ended meanwhile
            limiter.storage.incr(counter, item.get_expiry(), amount=-1)

    def minutes_left(self, key: str) -> int:
        """Whole minutes until `key`'s window ends (at least 1)."""
        item = self._item()
        ends = limiter.storage.get_expiry(item.key_for(self.scope, key))
        return max(1, math.ceil((ends - time.time()) / 60))


def check_settings(config) -> None:
    """Refuse to start with a limit that cannot be read, naming the setting."""
    for throttle in (LOGIN_ACCOUNT, LOGIN_ADDRESS, RESET_EMAIL, RESET_ADDRESS):
        try:
            parse(config[throttle.setting])
        except ValueError:
            raise ValueError(
                f"LMS_{throttle.setting} must read like '5 per 15 minutes', not {config[throttle.setting]!r}"
            ) from None


LOGIN_ACCOUNT = Throttle("login-account", "LOGIN_LIMIT")
LOGIN_ADDRESS = Throttle("login-address", "LOGIN_ADDRESS_LIMIT")
RESET_EMAIL = Throttle("reset-email", "RESET_EMAIL_LIMIT")
RESET_ADDRESS = Throttle("reset-address", "RESET_ADDRESS_LIMIT")


@dataclass
class Guess:
    """One password check's places, taken by `reserve_guess` and settled once it is known."""

    account: str
    address: str
    refused_by: Throttle | None = None

    def settle(self, right: bool) -> None:
        if right:
            LOGIN_ACCOUNT.release(self.account)
            LOGIN_ADDRESS.release(self.address)


def reserve_guess(email: str) -> Guess:
    """Reserve a password check for this account from this address. When refused, nothing is
    held and `refused_by` says which limit was reached."""
    guess = Guess(account=email.strip().lower()[:254], address=client_address())
    if not LOGIN_ADDRESS.reserve(guess.address):
        guess.refused_by = LOGIN_ADDRESS
    elif not LOGIN_ACCOUNT.reserve(guess.account):
        LOGIN_ADDRESS.release(guess.address)
        guess.refused_by = LOGIN_ACCOUNT
    return guess


def refusal_message(guess: Guess) -> str:
    if guess.refused_by is LOGIN_ACCOUNT:
        minutes = LOGIN_ACCOUNT.minutes_left(guess.account)
        return (
            f"There have been too many wrong passwords for this account. Try again in "
            f"{plural(minutes, 'minute')}, or reset your password."
        )
    minutes = LOGIN_ADDRESS.minutes_left(guess.address)
    return (
        f"There have been too many wrong passwords from your network. Try again in "
        f"{plural(minutes, 'minute')}."
    )
