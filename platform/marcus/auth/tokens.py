"""Access tokens (JWT, HS256 only), opaque refresh tokens and keyed digests of one-time codes.

Keys are derived from ``MARCUS_SECRET_KEY`` with a label per use, so a key for one purpose
never verifies another. Tenant tokens carry the audience ``marcus:tenant`` and platform
operator tokens ``marcus:platform``: each side refuses the other's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from marcus.config import Settings
from marcus.errors import Unauthorized

ALGORITHM = "HS256"
ALGORITHMS = [ALGORITHM]  # the allow-list: "none" and every other algorithm are refused
ISSUER = "marcus"
TENANT_AUDIENCE = "marcus:tenant"
PLATFORM_AUDIENCE = "marcus:platform"
_REQUIRED = ["exp", "iat", "sub", "jti", "aud", "iss"]
# Tokens whose signature and claims were verified, by (key, token): a client sends the same token
# with every request, and verifying it (PyJWT: key checks, HMAC, JSON) costs ~0.1-0.2 ms each
# time. Only the expiry can change the answer, and it is checked on every hit. Revocation and
# blocked users are the database check's business (auth.deps), never this cache's.
_VERIFIED: dict[tuple[bytes, str], AccessClaims] = {}
_VERIFIED_MAX = 4096


@dataclass(frozen=True, kw_only=True)
class AccessClaims:
    """A verified tenant access token. ``roles`` is informational: authorization reads the database."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    session_id: uuid.UUID
    roles: tuple[str, ...]
    jti: str
    expires_at: datetime
    email: str = ""  # filled in once the user row was checked


def derive_key(settings: Settings, label: str) -> bytes:
    """A 256-bit key for one purpose, derived from the secret key."""
    return hmac.new(settings.secret_key.get_secret_value().encode(), label.encode(), hashlib.sha256).digest()


def now() -> datetime:
    return datetime.now(UTC)


def issue_access_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    session_id: uuid.UUID,
    roles: list[str],
) -> str:
    """A signed access token for one user session of one workspace, valid ``access_token_ttl`` seconds."""
    issued = now()
    claims = {
        "iss": ISSUER,
        "aud": TENANT_AUDIENCE,
        "sub": str(user_id),
        "org": str(org_id),
        "sid": str(session_id),
        "roles": roles,
        "iat": issued,
        "exp": issued + timedelta(seconds=settings.access_token_ttl),
        "jti": secrets.token_hex(16),
    }
    return jwt.encode(claims, derive_key(settings, "jwt.tenant"), algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verify signature, algorithm, audience, issuer and expiry; 401 on anything wrong.

    A token verified before is not verified again (same key, same bytes): only its expiry is.
    """
    cache_key = (derive_key(settings, "jwt.tenant"), token)
    if (known := _VERIFIED.get(cache_key)) is not None:
        if now() < known.expires_at:
            return known
        del _VERIFIED[cache_key]
        raise Unauthorized("The access token has expired.", code="token_expired")
    claims = _verify_access_token(settings, token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[cache_key] = claims
    return claims


def _verify_access_token(settings: Settings, token: str) -> AccessClaims:
    payload = _decode(settings, token, label="jwt.tenant", audience=TENANT_AUDIENCE, extra=["org", "sid"])
    roles = payload.get("roles")
    try:
        return AccessClaims(
            user_id=uuid.UUID(str(payload["sub"])),
            org_id=uuid.UUID(str(payload["org"])),
            session_id=uuid.UUID(str(payload["sid"])),
            roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
            jti=str(payload["jti"]),
            expires_at=datetime.fromtimestamp(int(str(payload["exp"])), UTC),
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise Unauthorized("The access token is malformed.", code="invalid_token") from exc


def issue_platform_token(settings: Settings, *, operator_id: uuid.UUID) -> str:
    """A signed access token for a platform operator (audience ``marcus:platform``)."""
    issued = now()
    claims = {
        "iss": ISSUER,
        "aud": PLATFORM_AUDIENCE,
        "sub": str(operator_id),
        "iat": issued,
        "exp": issued + timedelta(seconds=settings.access_token_ttl),
        "jti": secrets.token_hex(16),
    }
    return jwt.encode(claims, derive_key(settings, "jwt.platform"), algorithm=ALGORITHM)


def decode_platform_token(settings: Settings, token: str) -> uuid.UUID:
    """The operator id of a valid platform token; 401 otherwise."""
    payload = _decode(settings, token, label="jwt.platform", audience=PLATFORM_AUDIENCE, extra=[])
    try:
        return uuid.UUID(str(payload["sub"]))
    except ValueError as exc:
        raise Unauthorized("The access token is malformed.", code="invalid_token") from exc


def _decode(settings: Settings, token: str, *, label: str, audience: str, extra: list[str]) -> dict[str, object]:
    try:
        payload: dict[str, object] = jwt.decode(
            token,
            derive_key(settings, label),
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=ISSUER,
            options={"require": [*_REQUIRED, *extra]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The access token is not valid.", code="invalid_token") from exc
    return payload


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (a refresh token), as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    """Six decimal digits from ``secrets``."""
    return f"{secrets.randbelow(1_000_000):06d}"


def code_digest(settings: Settings, *, org_id: uuid.UUID, user_id: uuid.UUID, purpose: str, code: str) -> str:
    """HMAC of a one-time code bound to its tenant, user and purpose (a code space of 10^6 needs a key)."""
    message = f"{org_id}:{user_id}:{purpose}:{code}".encode()
    return hmac.new(derive_key(settings, "codes"), message, hashlib.sha256).hexdigest()
