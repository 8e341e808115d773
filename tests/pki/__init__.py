"""A real test PKI on loopback (certomancer's animator) and a real SoftHSM2 token.

Nothing here mocks pyHanko: the timestamp server, the OCSP responder and the CRLs are
certomancer's, served over HTTP on 127.0.0.1; the token is SoftHSM2 through its PKCS#11
module.  A missing tool makes the test fail with the install command (never a skip).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.checkers import CheckerMissing

CONFIG = Path(__file__).with_name("certomancer.yml")
ARCH = "office-pki"
KEYS = ("root", "interm", "interm-ocsp", "signer", "tsa")
SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class OfficePki:
    """Where the running PKI's files and services are."""

    folder: Path
    url: str
    root_pem: Path  # trust root for signatures and timestamps
    interm_pem: Path  # the chain a token may not hold
    signer_key_pem: Path  # PKCS#8, unencrypted (for importing into the token)
    signer_cert_der: bytes
    signer_p12: Path
    p12_password: bytes
    stop: Any  # call to take the TSA, OCSP responder and CRLs off the network

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"


def _require_certomancer() -> Any:
    try:
        from certomancer.integrations.animator import Animator, AnimatorArchStore
        from certomancer.registry import CertomancerConfig
    except ImportError as exc:
        raise CheckerMissing(
            f"certomancer with its animator is not installed ({exc}); install it with: "
            ".venv/bin/pip install 'certomancer[web-api]'"
        ) from exc
    return Animator, AnimatorArchStore, CertomancerConfig


class _Dispatch:
    """The WSGI app, set once the port (part of every URL in the certificates) is known."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def running_pki(folder: Path) -> Iterator[OfficePki]:
    """Generate keys, issue the certificates and serve TSA/OCSP/CRL until the block ends."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    from werkzeug.serving import make_server

    animator_cls, store_cls, config_cls = _require_certomancer()
    folder.mkdir(parents=True, exist_ok=True)
    for name in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (folder / f"{name}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    config_path = folder / "certomancer.yml"
    shutil.copyfile(CONFIG, config_path)
    dispatch = _Dispatch()
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    config = config_cls.from_file(str(config_path), external_url_prefix=url)
    arch = config.get_pki_arch(ARCH)
    dispatch.app = animator_cls(store_cls(config.pki_archs), with_web_ui=False)
    thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
    thread.start()
    try:
        from cryptography import x509

        def pem(label: str) -> Path:
            path = folder / f"{label}.cert.pem"
            cert = x509.load_der_x509_certificate(arch.get_cert(label).dump())
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            return path

        root, interm = pem("root"), pem("interm")
        signer_der = arch.get_cert("signer").dump()
        key_pem = folder / "signer.key.pem"
        signer_key = serialization.load_pem_private_key(key_pem.read_bytes(), None)
        assert isinstance(signer_key, rsa.RSAPrivateKey)
        password = b"office-secret"
        p12 = folder / "signer.p12"
        p12.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"signer",
                signer_key,
                x509.load_der_x509_certificate(signer_der),
                [x509.load_pem_x509_certificate(interm.read_bytes())],
                serialization.BestAvailableEncryption(password),
            )
        )
        yield OfficePki(
            folder, url, root, interm, key_pem, signer_der, p12, password, server.shutdown
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)


@dataclass(frozen=True)
class SoftToken:
    conf: Path  # SOFTHSM2_CONF must point here
    label: str
    key_label: str
    pin: str


def make_softhsm_token(
    folder: Path, key_pem: Path, cert_der: bytes, *, label: str, key_label: str, pin: str
) -> SoftToken:
    """A SoftHSM2 token in ``folder`` holding ``key_pem`` and its certificate.

    The caller must have ``SOFTHSM2_CONF`` set to ``folder / "softhsm2.conf"`` (SoftHSM
    reads it when the module is loaded, once per process).
    """
    util = shutil.which("softhsm2-util")
    if util is None or not SOFTHSM_MODULE.is_file():
        raise CheckerMissing(
            "SoftHSM2 is not installed; install it with: apt-get install -y softhsm2"
        )
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    env = {"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"}
    run = {"env": env, "check": True, "capture_output": True, "timeout": 60}
    subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--so-pin", "12345678", "--pin", pin],
        **run,  # type: ignore[call-overload]
    )
    subprocess.run(
        [
            util,
            "--import",
            str(key_pem),
            "--token",
            label,
            "--label",
            key_label,
            "--id",
            "01",
            "--pin",
            pin,
        ],
        **run,  # type: ignore[call-overload]
    )
    _store_certificate(conf, label, key_label, pin, cert_der)
    return SoftToken(conf, label, key_label, pin)


def _store_certificate(conf: Path, label: str, key_label: str, pin: str, cert_der: bytes) -> None:
    """Put the certificate on the token (softhsm2-util imports only keys), in a child
    process so that this one's PKCS#11 module is not loaded before SOFTHSM2_CONF is final."""
    script = (
        "import sys, pkcs11\n"
        "from pkcs11 import Attribute, ObjectClass, CertificateType\n"
        "from asn1crypto import x509\n"
        "lib = pkcs11.lib(sys.argv[1])\n"
        "der = sys.stdin.buffer.read()\n"
        "cert = x509.Certificate.load(der)\n"
        "tok = lib.get_token(token_label=sys.argv[2])\n"
        "with tok.open(rw=True, user_pin=sys.argv[4]) as s:\n"
        "    s.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE,\n"
        "        Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,\n"
        "        Attribute.LABEL: sys.argv[3], Attribute.ID: b'\\x01',\n"
        "        Attribute.SUBJECT: cert.subject.dump(), Attribute.VALUE: der})\n"
    )
    import sys

    subprocess.run(
        [sys.executable, "-c", script, str(SOFTHSM_MODULE), label, key_label, pin],
        input=cert_der,
        env={"SOFTHSM2_CONF": str(conf)},
        check=True,
        capture_output=True,
        timeout=60,
    )
