"""Organizations, sites, people and their credentials.

Foreign keys RESTRICT: compliance records must never cascade away, so things are
retired, not deleted.
"""

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Organization(Table, tablename="organization"):
    id = UUID(primary_key=True)
    name = Varchar(length=200)
    created_at = Timestamptz()


class Site(Table, tablename="site"):
    id = UUID(primary_key=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    keep_photo_location = Boolean(default=False)
    """Viewers see photos with their EXIF location; by default it is removed from their copy."""
    version = Integer(default=1)
    created_at = Timestamptz()


class User(Table, tablename="rk_user"):
    id = UUID(primary_key=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, null=False, index=True)
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=255)
    active = Boolean(default=True)
    created_at = Timestamptz()


class Membership(Table, tablename="membership"):
    """A user's one role at one site; auditors' memberships expire."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    site = ForeignKey(Site, on_delete=OnDelete.restrict, null=False, index=True)
    role = Varchar(length=20)
    expires_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    """Of the person as devices see them at this site; grows with every change."""
    created_at = Timestamptz()


class Device(Table, tablename="device"):
    """A phone, tablet or kiosk acting for one user; sync ledgers key on its id."""

    id = UUID(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=100)
    created_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    id = UUID(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    device = ForeignKey(Device, on_delete=OnDelete.restrict, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    id = UUID(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class LoginFailure(Table, tablename="login_failure"):
    """Failed logins, kept in the database so every worker sees the same count."""

    id = UUID(primary_key=True)
    username = Varchar(length=64, index=True)
    address = Varchar(length=64, default="")
    at = Timestamptz(index=True)


class UsernameRefusal(Table, tablename="username_refusal"):
    """A username an admin asked for that was taken (usernames are unique across every
    organization): who asked for which, and when. The audit trail of probing for other
    organizations' usernames, and what slows it down (server/accounts/users.py)."""

    id = UUID(primary_key=True)
    admin = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    username = Varchar(length=64)
    at = Timestamptz(index=True)
