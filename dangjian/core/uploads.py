"""Checks on uploaded attachments, shared by every app that accepts them: the name's extension
must be one we take, the size under a limit, and the first bytes must match the extension (a
renamed .exe is refused, whatever its name or the browser's content type says)."""

from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

ATTACHMENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
_MAGIC = {".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}


def extension_of(name: str) -> str:
    name = str(name).lower()
    return name[name.rfind(".") :] if "." in name else ""


def check_upload(upload: Any, *, max_bytes: int | None = None) -> str | None:
    """The reason ``upload`` is refused, in the user's language, or None if it may be kept."""
    if upload is None:
        return None
    limit = ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    extension = extension_of(upload.name)
    if extension not in ATTACHMENT_TYPES:
        return _("Attach a PDF, JPG or PNG file.")
    if upload.size > limit:
        return _("The attachment is larger than %(size)s.") % {"size": filesizeformat(limit)}
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[extension]):
        return _("The file's content is not a %(kind)s file; it may have been renamed.") % {
            "kind": extension[1:].upper()
        }
    return None
