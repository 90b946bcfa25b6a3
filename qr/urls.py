import re
from urllib.parse import unquote, urlsplit

from qr.codes import InvalidTagCode, normalize_code

_TAG_PATH = re.compile(r"/t/([^/]+)/?$")


def tag_url(public_url: str, code: str) -> str:
    """The URL in a tag's QR symbol; the code is normalized first (raises InvalidTagCode)."""
    return f"{public_url.rstrip('/')}/t/{normalize_code(code)}"


def code_from_url(url: str) -> str | None:
    """The tag code in a scanned URL from any host, or None if the URL carries no valid code."""
    match = _TAG_PATH.search(urlsplit(url.strip()).path)
    if match is None:
        return None
    try:
        return normalize_code(unquote(match.group(1)))
    except InvalidTagCode:
        return None
