"""Password validators of our own (settings AUTH_PASSWORD_VALIDATORS lists them beside Django's)."""

from django.core.exceptions import ValidationError

WHITESPACE_ONLY_MESSAGE = "This password is entirely whitespace."


class NotBlankPasswordValidator:
    """Refuse a password made only of whitespace ("        " passes the length check on its own).
    Applies wherever Django validates passwords: registration, the admin's password forms,
    `manage.py changepassword`."""

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(WHITESPACE_ONLY_MESSAGE, code="password_entirely_whitespace")

    def get_help_text(self) -> str:
        return "Your password can't be entirely whitespace."
