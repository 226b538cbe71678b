"""Serial numbers are personal data on a bench: shown masked unless asked for."""


def mask_serial(serial: str) -> str:
    """Keeps the first four and last two characters, enough to tell devices apart."""
    if len(serial) <= 6:
        return "*" * len(serial)
    return serial[:4] + "*" * (len(serial) - 6) + serial[-2:]
