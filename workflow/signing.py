"""PAdES signatures (pyHanko) on the numbered MoU/PKS, with the head of office's PKCS#12."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Certificate:
    """A PKCS#12 bundle (key + certificate, maybe its chain) and its passphrase."""

    p12: bytes
    passphrase: bytes | None = None


def sign_pdf(content: bytes, certificate: Certificate, *, reason: str, location: str) -> bytes:
    """``content`` with an approval signature (PAdES baseline, /ETSI.CAdES.detached)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12_data(
        certificate.p12, other_certs=[], passphrase=certificate.passphrase
    )
    meta = signers.PdfSignatureMetadata(
        field_name="TandaTanganKepalaDinas",
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    return bytes(signers.sign_pdf(writer, meta, signer=signer).getvalue())
