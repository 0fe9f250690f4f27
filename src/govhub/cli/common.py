"""What every command needs: settings that load or a clear message, and logging."""

from __future__ import annotations

import click
from pydantic import ValidationError

from govhub.config import ConfigurationError, Settings
from govhub.kit.logging import configure_logging


def load_settings() -> Settings:
    try:
        settings = Settings()
        settings.check_can_start()
    except ValidationError as error:
        lines = [
            f"  - GOVHUB_{'_'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        ]
        raise click.ClickException("the settings are invalid:\n" + "\n".join(lines)) from None
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _setting_name(location: tuple[int | str, ...]) -> str:
    return "_".join(str(part) for part in location).upper()
