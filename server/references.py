"""Tables of other domains, named for foreign keys.

A domain's table may point at another domain's rows (every row carries its site), but no
domain imports another's tables: it reads them only through that domain's services. A
foreign key therefore names its table lazily, by Piccolo app and class, here once.
"""

from piccolo.columns import LazyTableReference

ORGANIZATION = LazyTableReference("Organization", app_name="accounts")
SITE = LazyTableReference("Site", app_name="accounts")
USER = LazyTableReference("User", app_name="accounts")
DEVICE = LazyTableReference("Device", app_name="accounts")
ASSET = LazyTableReference("Asset", app_name="registry")
LOCATION = LazyTableReference("Location", app_name="registry")
# Registered in Piccolo's "inspections" app, which the templates, actions and schedules
# domains were split out of (see pyproject.toml).
TEMPLATE_VERSION = LazyTableReference("TemplateVersion", app_name="inspections")
INSPECTION = LazyTableReference("Inspection", app_name="inspections")
FINDING = LazyTableReference("Finding", app_name="inspections")
