"""Personal data at rest: the NIK encrypted (Fernet: AES-128-CBC + HMAC-SHA256, from the
maintained `cryptography` library) and a keyed blind index (HMAC-SHA256) for the uniqueness
check, so the database alone tells nobody whose NIK it holds, nor whether a NIK is in it.

The key is `DATA_KEY` (a Fernet key: `python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`) or, without it, a key file created once under the
data directory, readable by the service's user only (0600). Losing the key loses the NIKs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_ENV = "DATA_KEY"
KEY_FILE = "data.key"


class KeyMissing(RuntimeError):
    pass


class Vault:
    def __init__(self, key: bytes | str) -> None:
        raw = key.encode() if isinstance(key, str) else key
        self._fernet = Fernet(raw)
        # A separate key for the index, derived, so one leaked use does not give the other.
        self._index_key = hmac.new(
            base64.urlsafe_b64decode(raw), b"mitramedia/nik-index", "sha256"
        ).digest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise KeyMissing("NIK tidak dapat dibuka: kunci data (DATA_KEY) berbeda") from None

    def index(self, value: str) -> str:
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()


_current: Vault | None = None


def configure(vault: Vault) -> Vault:
    global _current
    _current = vault
    return vault


def current() -> Vault:
    """The configured vault; else one from DATA_KEY; else refused (never a throwaway key)."""
    if _current is not None:
        return _current
    key = os.environ.get(KEY_ENV)
    if key:
        return configure(Vault(key))
    raise KeyMissing(f"kunci data belum diatur ({KEY_ENV} atau berkas {KEY_FILE})")


def load(data_dir: Path) -> Vault:
    """DATA_KEY, else data_dir/data.key (made 0600 on first start), and use it from now on."""
    key = os.environ.get(KEY_ENV)
    if key:
        return configure(Vault(key))
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
    os.chmod(path, 0o600)
    return configure(Vault(path.read_bytes().strip()))


def mask(nik: str | None) -> str:
    """6171**********01 style: the region code and the last two digits only."""
    if not nik:
        return "-"
    return nik[:4] + "*" * max(0, len(nik) - 6) + nik[-2:]
