"""User-facing error type: one clear message, no traceback at the command line."""


class ConfigError(ValueError):
    """A bad option value: the message names the option, the value and the valid choices."""


def invalid(option: str, value: object, valid: str) -> ConfigError:
    """Build the standard 'bad value' error: option, offending value, what is accepted."""
    return ConfigError(f"{option}: invalid value {value!r}; {valid}")
