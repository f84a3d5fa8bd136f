"""Second-factor state changes: enrolment, codes, recovery codes, sessions, reset, the setting."""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import func, or_, select, update

from ... import audit
from ...extensions import client_address, db
from ...formatting import plural
from ...models import OrgSetting, Permission, RecoveryCode, SecondFactor, User, UserSession, new_session_token, utcnow
from ...transaction import DomainError
from ..operations import key_digest
from ..throttle import Throttle

RECOVERY_CODES = 10
# Codes one step either side of now are taken, for a phone's clock that is a little out.
VALID_WINDOW = 1
EVERYONE_KEY = "second_factor.everyone"

# Wrong codes are limited as wrong passwords are, by the same settings, in counters of their own.
CODE_ACCOUNT = Throttle("second-factor-account", "LOGIN_LIMIT")
CODE_ADDRESS = Throttle("second-factor-address", "LOGIN_ADDRESS_LIMIT")


class CodeRefused(DomainError):
    """A code that does not open the session; the message says why, for the form."""

    status = 400


# --- who needs one ---------------------------------------------------------------------------


def required_for_everyone() -> bool:
    """The organisation's setting: every password sign-in needs a second factor, not only
    those of Directors, leads and administrators."""
    return db.session.scalar(select(OrgSetting.value).where(OrgSetting.key == EVERYONE_KEY)) == "yes"


def set_required_for_everyone(value: bool, actor: User) -> bool:
    """Store the setting (audited); True when it changed. Applies from each person's next
    sign-in: sessions already open keep what they were opened with."""
    before = required_for_everyone()
    if before == value:
        return False
    row = db.session.get(OrgSetting, EVERYONE_KEY)
    if row is None:
        row = OrgSetting(key=EVERYONE_KEY)
        db.session.add(row)
    row.value = "yes" if value else "no"
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    audit.record("settings.second_factor_changed", actor=actor, everyone={"before": before, "after": value})
    db.session.flush()
    return True


def needs_second_factor(user: User, via_provider: bool) -> bool:
    """Whether this sign-in must be followed by a code before the session opens any page.

    A sign-in through the organisation's OpenID Connect provider relies on the provider's own
    second factor (`via_provider=True`). Every other sign-in (a password, an invitation or a
    reset link) needs one from Directors, leads and administrators, and from everyone when the setting
    says so.
    """
    if via_provider:
        return False
    return (user.active and level_needs_second_factor(user.permission)) or required_for_everyone()


def level_needs_second_factor(permission: int) -> bool:
    """Whether a password sign-in at this permission needs a second factor whatever the
    setting says: from Director up, who see everyone's records (and the inspection pack,
    with every certificate file)."""
    return permission >= Permission.DIRECTOR


def permission_raised(person: User, before: int) -> int:
    """The person's permission rose from `before`: when the new level needs a second factor
    and the old one did not, end their open sessions that were opened without one, so their
    next page asks them to sign in again and then for their code. (A session does not record
    whether it came through the provider, so it cannot simply be marked.) Returns how many
    sessions ended."""
    if not level_needs_second_factor(person.permission) or level_needs_second_factor(before):
        return 0
    ended = db.session.execute(
        update(UserSession)
        .where(
            UserSession.user_id == person.id,
            UserSession.ended_at.is_(None),
            UserSession.second_factor_required.is_(False),
        )
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return ended.rowcount


# --- sessions --------------------------------------------------------------------------------


def mark_session(key: str, user: User, *, via_provider: bool = False, done: bool = False) -> bool:
    """Record on the session just opened (named by its cookie's key) whether it needs a second
    factor, and whether one was given already (`done`: a new session replacing one that had
    it, as a password change does). Returns whether the session waits for a code."""
    if not needs_second_factor(user, via_provider):
        return False
    db.session.execute(
        update(UserSession)
        .where(UserSession.key_hash == key_digest(key))
        .values(second_factor_required=True, second_factor_at=utcnow() if done else None)
        .execution_options(synchronize_session=False)
    )
    return not done


def complete_session(session_id: int) -> None:
    """The second factor was given in this session: every page it may see opens now."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.second_factor_at.is_(None))
        .values(second_factor_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# --- enrolment -------------------------------------------------------------------------------


def factor_of(user: User) -> SecondFactor | None:
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def is_enrolled(user: User) -> bool:
    factor = factor_of(user)
    return factor is not None and factor.confirmed_at is not None


def begin_enrolment(user: User) -> SecondFactor:
    """The secret to show while enrolling: the same one until a code confirms it, so the page
    can be opened again without the app's copy going stale."""
    factor = factor_of(user)
    if factor is not None and factor.confirmed_at is not None:
        raise CodeRefused("You have set up your second factor already")
    if factor is None:
        factor = SecondFactor(user=user, secret=pyotp.random_base32())
        db.session.add(factor)
        db.session.flush()
    return factor


def provisioning_uri(factor: SecondFactor) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = f"{current_app.config['ORG_NAME']} training"
    return pyotp.TOTP(factor.secret).provisioning_uri(name=factor.user.email, issuer_name=issuer)


def qr_svg(uri: str) -> Markup:
    """The QR code as an inline SVG (drawn here, never by an outside service)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=4, omitsize=True, dark="#0b0c0c", light="#ffffff", svgclass="qr-code", title="QR code")
    return Markup(svg)  # noqa: S704 (segno's own SVG; the address it encodes is escaped)


def secret_text(secret: str) -> str:
    """The secret as a person types it into an app: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user: User, code: str, session_id: int) -> list[str]:
    """Confirm the app with its first code; returns the recovery codes, shown once."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is not None:
        raise CodeRefused("Start setting up your second factor again")
    _take_code(factor, code)
    factor.confirmed_at = utcnow()
    codes = _new_recovery_codes(factor)
    complete_session(session_id)  # the day it was set up is `confirmed_at`, on the person's page
    db.session.flush()
    return codes


# --- codes -----------------------------------------------------------------------------------


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def is_app_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def _take_code(factor: SecondFactor, code: str) -> None:
    """Accept an app code for a step after the last one taken, or raise CodeRefused.

    The step is moved on by one conditional update, so two requests with one code cannot
    both pass."""
    code = normalise(code)
    if not is_app_code(code):
        raise CodeRefused("Enter the 6-digit code your authenticator app shows")
    totp = pyotp.TOTP(factor.secret)
    now = totp.timecode(utcnow())
    matched = [
        step
        for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1)
        if hmac.compare_digest(totp.generate_otp(step), code)
    ]
    if not matched:
        raise CodeRefused("That code is not right. Check the time on your phone is set automatically, and try the code your app shows now")
    step = matched[-1]
    taken = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.id == factor.id, or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise CodeRefused("That code has been used already. Wait for your app to show a new code, then enter that")
    factor.last_step = step


def _recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 random bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _new_recovery_codes(factor: SecondFactor) -> list[str]:
    db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.second_factor_id == factor.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(second_factor=factor, code_hash=key_digest(normalise(c))) for c in codes)
    return codes


def recovery_codes_left(factor: SecondFactor) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.second_factor_id == factor.id, RecoveryCode.used_at.is_(None))
    )


def _take_recovery_code(factor: SecondFactor, code: str) -> None:
    taken = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.second_factor_id == factor.id,
            RecoveryCode.code_hash == key_digest(normalise(code)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise CodeRefused("That recovery code is not right, or has been used already")


@dataclass(frozen=True)
class Accepted:
    recovery_codes_left: int | None  # None: an app code was given


def give_code(user: User, code: str, session_id: int) -> Accepted:
    """Open the session with an app code or a recovery code, or raise CodeRefused."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is None:
        raise CodeRefused("Set up your second factor first")
    compact = normalise(code)
    if is_app_code(compact):
        _take_code(factor, compact)
        left = None
    elif len(compact) == 16:
        _take_recovery_code(factor, compact)
        left = recovery_codes_left(factor)
        audit.record("person.recovery_code_used", user, actor=user, left=left)
    else:
        raise CodeRefused("Enter the 6-digit code from your authenticator app, or one of your recovery codes")
    complete_session(session_id)
    db.session.flush()
    return Accepted(left)


def replace_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), for a current app code."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is None:
        raise CodeRefused("Set up your second factor first")
    _take_code(factor, code)
    codes = _new_recovery_codes(factor)
    audit.record("person.recovery_codes_replaced", user, actor=user)
    db.session.flush()
    return codes


# --- limits ----------------------------------------------------------------------------------


@dataclass
class CodeGuess:
    """One code check's places in the limits, taken before the code is checked."""

    account: str
    address: str
    refused: str | None = None

    def settle(self, right: bool) -> None:
        if right:
            CODE_ACCOUNT.release(self.account)
            CODE_ADDRESS.release(self.address)


def reserve_code_guess(user: User) -> CodeGuess:
    guess = CodeGuess(account=str(user.id), address=client_address())
    if not CODE_ADDRESS.reserve(guess.address):
        minutes = CODE_ADDRESS.minutes_left(guess.address)
        guess.refused = f"There have been too many wrong codes from your network. Try again in {plural(minutes, 'minute')}."
    elif not CODE_ACCOUNT.reserve(guess.account):
        CODE_ADDRESS.release(guess.address)
        minutes = CODE_ACCOUNT.minutes_left(guess.account)
        guess.refused = (
            f"There have been too many wrong codes for this account. Try again in {plural(minutes, 'minute')}, "
            "or use one of your recovery codes then."
        )
    return guess


# --- administrators --------------------------------------------------------------------------


def reset(person: User, actor: User) -> bool:
    """Forget the person's authenticator app and recovery codes: they set up a new one at
    their next sign-in. Their open sessions end. False when there was nothing to reset."""
    factor = factor_of(person)
    if factor is None:
        return False
    confirmed = factor.confirmed_at is not None
    db.session.delete(factor)
    person.session_token = new_session_token()
    audit.record("person.second_factor_reset", person, actor=actor, was_confirmed=confirmed)
    db.session.flush()
    return True
