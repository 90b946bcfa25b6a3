"""Argon2id password hashing."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def hasher(profile: str = "standard") -> PasswordHasher:
    if profile == "fast":
        # The test suite creates hundreds of users; this profile is refused in production.
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str, profile: str = "standard") -> str:
    return hasher(profile).hash(password)


def verify_password(password_hash: str, password: str, profile: str = "standard") -> bool:
    try:
        return hasher(profile).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the user does not exist keeps the timing the same.
def dummy_verify(password: str, profile: str = "standard") -> None:
    verify_password(_dummy_hash(profile), password, profile)


@cache
def _dummy_hash(profile: str) -> str:
    return hash_password("not a real password", profile)
