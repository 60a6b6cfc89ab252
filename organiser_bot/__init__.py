"""organiser-bot: log field work in seconds, measure every team by the same yardstick."""

__version__ = "0.1.0"
