"""Passwords beside single sign-on: with LMS_LOCAL_PASSWORDS false only the break-glass
administrator signs in with a password, and that account's wrong passwords are counted per
client address alone, never per account, so nobody can lock it by guessing."""

from __future__ import annotations

from ..extensions import client_address
from ..formatting import plural
from . import oidc, throttle

BREAK_GLASS_ADDRESS = throttle.Throttle("break-glass-address", "BREAK_GLASS_LIMIT")


def password_refusal(email: str) -> str | None:
    """Why this address may not sign in with a password here, or None."""
    if oidc.passwords_allowed_for(email):
        return None
    sso = oidc.settings()
    return (
        f"Passwords are turned off here: use “{sso.button_label}”. Only the emergency administrator "
        f"account signs in with a password."
    )


class BreakGlassGuess(throttle.Guess):
    """A password check for the break-glass account: counted per client address only."""

    def settle(self, right: bool) -> None:
        if right:
            BREAK_GLASS_ADDRESS.release(self.address)


def reserve_guess(email: str) -> throttle.Guess:
    """As throttle.reserve_guess, except that the break-glass account is limited per client
    address and never per account."""
    if not oidc.is_break_glass(email):
        return throttle.reserve_guess(email)
    guess = BreakGlassGuess(account=oidc.break_glass_email(), address=client_address())
    if not BREAK_GLASS_ADDRESS.reserve(guess.address):
        guess.refused_by = BREAK_GLASS_ADDRESS
    return guess


def refusal_message(guess: throttle.Guess) -> str:
    if guess.refused_by is BREAK_GLASS_ADDRESS:
        minutes = BREAK_GLASS_ADDRESS.minutes_left(guess.address)
        return (
            f"There have been too many wrong passwords from your network. Try again in "
            f"{plural(minutes, 'minute')}."
        )
    return throttle.refusal_message(guess)
