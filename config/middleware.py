from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    """Chinese first: a page is in the language chosen with the switch (the cookie that
    /i18n/setlang/ sets), otherwise LANGUAGE_CODE — never the browser's Accept-Language, because
    a hall's tablets and screens must read the same whatever device they run on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and translation.check_for_language(chosen):
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                pass
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def language_of_scope(scope):
    """The same choice for a WebSocket, read from its Cookie header."""
    from http.cookies import SimpleCookie

    chosen = None
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                continue
            if settings.LANGUAGE_COOKIE_NAME in jar:
                chosen = jar[settings.LANGUAGE_COOKIE_NAME].value
    if chosen and translation.check_for_language(chosen):
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE
