"""lraudit: a static auditor for learning-rate schedules in ML training code."""

__version__ = "0.1.0"

__all__ = ["__version__"]
