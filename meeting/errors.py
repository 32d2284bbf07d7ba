class ServiceError(Exception):
    """A request that the rules refuse. ``code`` is stable for clients; ``message`` is for people."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
