from typing import Any

from django.conf import settings

LARGE_TEXT_COOKIE = "dj_large_text"


def ui(request: Any) -> dict[str, Any]:
    return {
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "ui_brand": settings.UI_BRAND,
        "scope": request.actor.scope,
    }
