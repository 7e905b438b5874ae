"""The checker's fixtures (a monitor on a plan, a driver of the checker's database side)."""

from tests.checker.conftest import driver, make_monitor, monitor  # noqa: F401
