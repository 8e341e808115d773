"""Signing keys on PKCS#11 tokens: the USB tokens licensed CAs issue to agencies.

A :class:`TokenKey` is one logged-in session on the token named in the profile, opened once
per worker process (opening a session and logging in costs far more than a signature, and
real tokens allow few concurrent sessions).  The PIN comes from the caller, lives only in
memory and is never logged: :class:`TokenSpec` hides it from ``repr``.

Why errors are handled the way they are:

* a token that is unplugged, or whose middleware lost the session, is *temporary*: every
  such failure is raised with the :data:`UNAVAILABLE` prefix so
  that the hot-folder watcher keeps the files queued and tries again later;
* a wrong PIN is never retried by this process: real tokens lock themselves after a few
  wrong attempts, and unlocking needs the security officer.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pkcs11
from asn1crypto import x509 as asn1_x509
from pkcs11 import exceptions as p11_errors
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

from digitizer.errors import CertificateError, SigningError

__all__ = ["UNAVAILABLE", "TokenKey", "TokenSpec", "is_token_error", "read_pin", "retry_later"]

log = logging.getLogger(__name__)

# Every failure that should make the watcher keep the files and try again later (the token
# unplugged, the timestamp server down) starts with this; see :func:`retry_later`.
UNAVAILABLE = "signing unavailable"


def retry_later(error: str | None) -> bool:
    """Whether a document failed only because signing is unavailable for now."""
    return bool(error) and str(error).startswith(UNAVAILABLE)


_PIN_PROBLEMS = (
    p11_errors.PinIncorrect,
    p11_errors.PinLocked,
    p11_errors.PinExpired,
    p11_errors.PinInvalid,
    p11_errors.PinLenRange,
    p11_errors.UserPinNotInitialized,
)


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """Where the key is: module, token label, key label; picklable for worker processes."""

    module: Path
    token_label: str
    key_label: str
    pin: str = field(repr=False)

    def describe(self) -> str:
        return f"key '{self.key_label}' on token '{self.token_label}'"


def read_pin(pin_env: str, token_label: str) -> str:
    """The PIN from the environment variable ``pin_env``, else a prompt on a terminal."""
    if pin_env and os.environ.get(pin_env):
        return os.environ[pin_env]
    if sys.stdin.isatty():
        pin = getpass.getpass(f"PIN for signing token '{token_label}': ")
        if pin:
            return pin
    raise CertificateError(
        f"no PIN for signing token '{token_label}': set the environment variable "
        f"{pin_env or 'named by [signing] pin_env'} or run digitizer on a terminal to be asked"
    )


def _pin_message(exc: BaseException, spec: TokenSpec) -> str:
    if isinstance(exc, p11_errors.PinLocked):
        return (
            f"token '{spec.token_label}' is locked after too many wrong PINs: have it "
            "unlocked with the security officer PIN (SO PIN), then start again"
        )
    if isinstance(exc, p11_errors.PinExpired):
        return f"the PIN of token '{spec.token_label}' has expired: change it, then start again"
    if isinstance(exc, p11_errors.UserPinNotInitialized):
        return f"token '{spec.token_label}' has no user PIN yet: initialise the token first"
    return (
        f"wrong PIN for signing token '{spec.token_label}': check the PIN (it was not retried, "
        "tokens lock themselves after a few wrong attempts)"
    )


class TokenKey:
    """One logged-in session on a token, and pyHanko's signer on the key in it."""

    def __init__(self, spec: TokenSpec) -> None:
        self.spec = spec
        self._session: pkcs11.Session | None = None
        self._signer: PKCS11Signer | None = None
        self._pin_refused: str | None = None

    def open(self, *, startup: bool = False) -> PKCS11Signer:
        """The signer on a live session, opening (again) if needed.

        At start-up a failure is a :class:`CertificateError` (the run stops before any file
        is touched); later it is a :class:`SigningError` whose message starts with
        :data:`UNAVAILABLE`, so that the files wait for the token to come back.
        """
        if self._signer is not None:
            return self._signer
        error: type[CertificateError] | type[SigningError] = (
            CertificateError if startup else SigningError
        )
        if self._pin_refused is not None:
            raise error(f"{UNAVAILABLE}: {self._pin_refused}")
        spec = self.spec
        if not spec.module.is_file():
            raise error(
                f"{UNAVAILABLE}: PKCS#11 module {spec.module} does not exist: install the "
                "token's middleware or fix [signing] pkcs11_module"
            )
        try:
            session = open_pkcs11_session(
                str(spec.module),
                token_criteria=TokenCriteria(label=spec.token_label),
                user_pin=spec.pin,
            )
        except _PIN_PROBLEMS as exc:
            self._pin_refused = _pin_message(exc, spec)
            raise error(f"{UNAVAILABLE}: {self._pin_refused}") from exc
        except (p11_errors.PKCS11Error, RuntimeError, OSError) as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise error(
                f"{UNAVAILABLE}: no token '{spec.token_label}' through {spec.module} "
                f"({detail}): plug the USB token in, or check [signing] token_label"
            ) from exc
        signer = PKCS11Signer(session, key_label=spec.key_label, cert_label=spec.key_label)
        try:
            signer.signing_cert  # noqa: B018 - loads the certificate and the key handle now
        except Exception as exc:
            session.close()
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise (CertificateError if startup else SigningError)(
                f"{UNAVAILABLE}: token '{spec.token_label}' has no usable key and certificate "
                f"labelled '{spec.key_label}' ({detail}): check [signing] key_label"
            ) from exc
        self._session, self._signer = session, signer
        log.info("opened signing token '%s'", spec.token_label)
        return signer

    @property
    def certificate(self) -> asn1_x509.Certificate:
        cert = self.open().signing_cert
        assert cert is not None
        return cert

    def lost(self, exc: BaseException) -> SigningError:
        """Forget the session after a failure inside the token; the next use reopens it."""
        self.close()
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return SigningError(
            f"{UNAVAILABLE}: signing token '{self.spec.token_label}' failed ({detail}): "
            "check that it is plugged in; the document will be signed when it is back"
        )

    def close(self) -> None:
        session, self._session, self._signer = self._session, None, None
        if session is not None:
            with contextlib.suppress(p11_errors.PKCS11Error, RuntimeError):
                session.close()  # the token may be gone already


def is_token_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) came from the PKCS#11 layer."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, p11_errors.PKCS11Error):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
