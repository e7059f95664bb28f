"""The TLS certificate, key and client CA files, re-read when they change.

``TlsFiles.read()`` loads all three at start-up (a bad file is a
``ConfigError`` naming it). ``changed()`` is asked at every new connection
(gRPC's certificate-config fetcher): it compares each file's ``stat``
signature (inode, size, mtime) with the last one loaded, which catches both
an in-place rewrite and Kubernetes' symlink swap of a mounted secret, and
returns the new material only when it is complete and consistent (the key
matches the certificate). A half-written rotation (new certificate, old key)
keeps the previous material and is retried at the next connection, so a
renewal never takes the listener down.

``cryptography`` is imported when files are loaded, not with the module: a
gateway without TLS does not carry it in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

from llmgw.config.schema import ConfigError, TlsConfig
from llmgw.domain.tls import TlsMaterial
from llmgw.observability.logging import get_logger

log = get_logger("llmgw.tls")
_Signature = tuple[tuple[int, int, int], ...]


class TlsFiles:
    """One reader per listener (each fetcher must see every change itself)."""

    def __init__(self, config: TlsConfig) -> None:
        self._paths = tuple(
            Path(p) for p in (config.cert_file, config.key_file, config.client_ca_file) if p
        )
        self._mtls = bool(config.client_ca_file)
        self._loaded: _Signature = ()

    def read(self) -> TlsMaterial:
        """Load the files now; ``ConfigError`` names the file that is wrong."""
        signature = self._signature()
        material = _load(self._paths, self._mtls)
        self._loaded = signature
        return material

    def changed(self) -> TlsMaterial | None:
        """New material when a file changed since the last load, else ``None``
        (also ``None``, with a warning, while the new files are inconsistent)."""
        try:
            signature = self._signature()
            if signature == self._loaded:
                return None
            material = _load(self._paths, self._mtls)
        except ConfigError as exc:
            log.warning("tls files changed but are not usable yet; kept the old ones", why=str(exc))
            return None
        self._loaded = signature
        log.info("tls certificate reloaded", files=[str(p) for p in self._paths])
        return material

    def _signature(self) -> _Signature:
        try:
            stats = [os.stat(p) for p in self._paths]
        except OSError as exc:
            raise ConfigError(f"cannot read tls file {exc.filename}: {exc.strerror}") from exc
        return tuple((s.st_ino, s.st_size, s.st_mtime_ns) for s in stats)


def _load(paths: tuple[Path, ...], mtls: bool) -> TlsMaterial:
    from cryptography import x509

    contents = []
    for path in paths:
        try:
            contents.append(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read tls file {path}: {exc.strerror}") from exc
    chain, key = contents[0], contents[1]
    _check_pair(chain, key, paths[0], paths[1])
    client_ca = contents[2] if mtls else None
    if client_ca is not None:
        try:
            x509.load_pem_x509_certificates(client_ca)
        except ValueError as exc:
            raise ConfigError(f"tls client CA file {paths[2]} holds no PEM certificate") from exc
    return TlsMaterial(chain, key, client_ca)


def _check_pair(chain: bytes, key: bytes, cert_path: Path, key_path: Path) -> None:
    """The private key must belong to the first certificate of the chain."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
    )

    try:
        certificate = x509.load_pem_x509_certificates(chain)[0]
    except ValueError as exc:
        raise ConfigError(f"tls certificate file {cert_path} holds no PEM certificate") from exc
    try:
        private = load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"tls key file {key_path} holds no unencrypted PEM private key") from exc
    mine = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    theirs = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if mine != theirs:
        raise ConfigError(f"tls key file {key_path} does not match the certificate {cert_path}")
