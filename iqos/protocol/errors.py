"""The one error type that every decoder raises on malformed input."""


class ProtocolError(ValueError):
    """Bytes that do not form a valid frame, or a value that cannot be encoded.

    Carries the offending bytes so that a transcript or a bug report shows
    exactly what arrived, not a paraphrase of it.
    """

    def __init__(self, message: str, data: bytes = b"") -> None:
        self.data = bytes(data)
        self.reason = message
        super().__init__(f"{message} (bytes: {self.data.hex(' ') or 'none'})")
