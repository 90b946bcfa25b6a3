"""Names handlers use for what the app injects (declared, not inferred, as Litestar asks)."""

from litestar.di import NamedDependency

from server.accounts.access import Caller
from server.settings import Settings

CurrentCaller = NamedDependency[Caller]
AppSettings = NamedDependency[Settings]
