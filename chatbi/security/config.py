"""Users, roles and their policies from YAML (``security.yaml``), and who a request is.

::

    secret_key: ${CHATBI_SECRET_KEY}         # signs the app's session cookie (or set the variable)
    identity:                                # optional: trust a company reverse proxy's header
      header: X-Forwarded-User
      trusted_proxies: [127.0.0.1]
    users:
      alice:
        password: scrypt$16384$8$1$...       # `chatbi security hash-password`
        roles: [guangdong_analyst]
      bob:
        password: scrypt$...
        roles: [regional_manager]
        attributes: {region: 华南}
    roles:
      guangdong_analyst:
        rows: [{province: 广东}]             # mandatory filters (ANDed within a role)
        columns: {phone: {mask: phone}, id_card: hide}
        min_group_size: 5                    # suppress aggregates of fewer rows
      regional_manager:
        rows: [{region: "{{ user.region }}"}]
      admin: {}                              # no restriction

A user with several roles sees what any of them may see (see ``AccessPolicy.union``). A role
whose template names an attribute the user lacks grants no rows.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from semantic_layer import SemanticModel
from semantic_layer.errors import InputFileError, did_you_mean, suggest
from semantic_layer.policy import AccessPolicy, ColumnRule, Principal, RowFilter
from semantic_layer.query import Filter
from semantic_layer.yamlfile import read_yaml

from ..errors import ConfigError
from .errors import AccessDenied, SecurityConfigError
from .masking import check_operator
from .passwords import dummy_verify, verify_password
from .sessions import credential_of

__all__ = ["UserSpec", "RoleSpec", "IdentitySpec", "SecuritySpec", "Security", "IdentityProvider",
           "HeaderIdentityProvider", "load_security", "secret_key_problem", "sql_risks", "SECRET_ENV",
           "MIN_SECRET_LENGTH"]

SECRET_ENV = "CHATBI_SECRET_KEY"
#: the shortest session signing key accepted
MIN_SECRET_LENGTH = 32
_USER_NAME = re.compile(r"^[\w.@+-]{1,128}$")
_TEMPLATE = re.compile(r"\{\{\s*user\.(\w+)\s*\}\}")
_ENV = re.compile(r"^\$\{(\w+)\}$")
_FILTER = TypeAdapter(Filter)


class _S(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserSpec(_S):
    password: str | None = Field(default=None, description="hash from `chatbi security hash-password`")
    roles: tuple[str, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)
    name: str = ""
    #: the user's own address (test digests may go there)
    email: str | None = None
    disabled: bool = False

    @field_validator("roles", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


class RoleSpec(_S):
    description: str = ""
    #: mandatory row filters, all of which hold: ``{province: 广东}`` or full filter dicts
    rows: tuple[dict[str, Any], ...] = ()
    #: dimension / metric / table.column -> ``hide`` | operator name | ``{mask: op, **params}``
    columns: dict[str, Any] = Field(default_factory=dict)
    min_group_size: int = Field(default=0, ge=0, le=1_000_000)
    #: fact table -> column whose distinct values count as the group size (default: rows)
    group_size: dict[str, str] = Field(default_factory=dict)
    open_tables: tuple[str, ...] = ()
    #: may run hand-written SQL (still filtered by the guard). Unset: yes, unless the role has
    #: small-cell suppression or masking that SQL would get around (then no)
    sql: bool | None = None
    #: the operator's explicit acceptance that this role's SQL bypasses ``min_group_size`` or a mask
    #: of counted rows; without it ``sql: true`` on such a role is a configuration error
    sql_unprotected: bool = False


class IdentitySpec(_S):
    """Trust a header set by a reverse proxy (single sign-on in front of the app)."""

    header: str = "X-Forwarded-User"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    #: roles of a proxy-authenticated user missing from ``users``; empty: such users are refused
    default_roles: tuple[str, ...] = ()


class SecuritySpec(_S):
    version: Literal[1] = 1
    secret_key: str | None = None
    session_hours: float = Field(default=12, gt=0, le=24 * 90)
    identity: IdentitySpec | None = None
    #: reverse proxies whose X-Forwarded-Proto / X-Forwarded-For are believed (with identity's)
    trusted_proxies: tuple[str, ...] = ()
    #: session cookies with the Secure flag: auto = when the request came over HTTPS (or a trusted
    #: proxy says it did), always, never
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    users: dict[str, UserSpec] = Field(default_factory=dict)
    roles: dict[str, RoleSpec] = Field(default_factory=dict)


@runtime_checkable
class IdentityProvider(Protocol):
    """Names the user of a request from outside ChatBI (a proxy header, a ticket ...) or None."""

    def identify(self, headers: Mapping[str, str], remote_addr: str | None) -> str | None: ...


class HeaderIdentityProvider:
    """Reads the user name from ``header``, only on requests coming from ``trusted_proxies``.

    Anyone can send the header; only a proxy that strips it from clients and sets it itself may
    be trusted, hence the address check (addresses or networks, ``10.0.0.0/8``).
    """

    def __init__(self, header: str = "X-Forwarded-User", trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
                 ) -> None:
        self.header = header
        self.networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def identify(self, headers: Mapping[str, str], remote_addr: str | None) -> str | None:
        try:
            addr = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return None
        if not any(addr in net for net in self.networks):
            return None
        value = (headers.get(self.header) or "").strip()
        return value if _USER_NAME.match(value) else None


class Security:
    """The loaded configuration: sign-in, principals with resolved policies, the identity hook."""

    def __init__(self, spec: SecuritySpec, *, model: SemanticModel | None = None, source: str | None = None,
                 identity_provider: IdentityProvider | None = None) -> None:
        self.spec = spec
        self.source = source
        self.model = model
        problems = self._problems(model)
        if problems:
            where = f"{source}: " if source else ""
            raise SecurityConfigError(f"{where}{len(problems)} problem(s) in the security configuration:\n  "
                                      + "\n  ".join(problems))
        if identity_provider is None and spec.identity is not None:
            identity_provider = HeaderIdentityProvider(spec.identity.header, spec.identity.trusted_proxies)
        self.identity_provider = identity_provider

    @classmethod
    def load(cls, path: str | os.PathLike[str], model: SemanticModel | None = None) -> Security:
        try:
            data = read_yaml(path, what="security file")
        except InputFileError as exc:  # binary, not UTF-8, nested too deeply, not YAML: one line
            raise SecurityConfigError(str(exc)) from None
        if data is not None and not isinstance(data, Mapping):
            raise SecurityConfigError(f"{path}: expected a mapping (secret_key, users, roles), "
                                      f"found {type(data).__name__}")
        return cls.from_dict(data or {}, model=model, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, model: SemanticModel | None = None, source: str | None = None,
                  identity_provider: IdentityProvider | None = None) -> Security:
        try:
            spec = SecuritySpec.model_validate(data)
        except ValidationError as exc:
            lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise SecurityConfigError(f"{source + ': ' if source else ''}invalid security configuration:\n  "
                                      + "\n  ".join(lines)) from None
        return cls(spec, model=model, source=source, identity_provider=identity_provider)

    # -- configuration ----------------------------------------------------------------------
    @property
    def secret_key(self) -> str | None:
        """The session signing key: ``secret_key`` (``${VAR}`` reads a variable) or $CHATBI_SECRET_KEY."""
        value = self.spec.secret_key
        if value:
            match = _ENV.match(value.strip())
            return os.environ.get(match.group(1)) if match else value
        return os.environ.get(SECRET_ENV)

    @property
    def trusted_proxies(self) -> tuple[str, ...]:
        """Addresses whose forwarding headers are believed (``trusted_proxies`` and the identity proxy's)."""
        identity = self.spec.identity.trusted_proxies if self.spec.identity else ()
        return tuple(dict.fromkeys((*self.spec.trusted_proxies, *identity)))

    def credential(self, user: str) -> str:
        """A fingerprint of ``user``'s password hash; a session made under another one has ended."""
        spec = self.spec.users.get(user)
        return credential_of(spec.password if spec is not None else None)

    def _problems(self, model: SemanticModel | None) -> list[str]:
        out: list[str] = []
        key = self.secret_key
        problem = secret_key_problem(key) if key else None
        if problem:
            out.append(f"secret_key: {problem}")
        for proxy in self.spec.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                out.append(f"trusted_proxies: {proxy!r} is not an address or network")
        for name, user in self.spec.users.items():
            if not _USER_NAME.match(name):
                out.append(f"users.{name}: a user name may use letters, digits and . @ + - _ only")
            for role in user.roles:
                if role not in self.spec.roles:
                    out.append(f"users.{name}.roles: unknown role {role!r}. "
                               f"{did_you_mean(suggest(role, self.spec.roles))}".strip())
            if user.password and not user.password.startswith(("scrypt$", "pbkdf2_sha256$")):
                out.append(f"users.{name}.password: store a hash (`chatbi security hash-password`), "
                           "never the password itself")
        for role in self.spec.identity.default_roles if self.spec.identity else ():
            if role not in self.spec.roles:
                out.append(f"identity.default_roles: unknown role {role!r}")
        for name, role_spec in self.spec.roles.items():
            try:
                policy = role_policy(role_spec, {}, check=True)
            except ConfigError as exc:  # includes unknown masking operators
                out.append(f"roles.{name}: {exc}")
                try:  # still report the row filters' problems
                    policy = role_policy(role_spec.model_copy(update={"columns": dict.fromkeys(role_spec.columns, "hide")}),
                                         {}, check=True)
                except ConfigError:
                    continue
            if model is not None:
                out += [f"roles.{name}: {p}" for p in policy.problems(model)]
            risks = sql_risks(policy, model)
            if role_spec.sql is True and risks and not role_spec.sql_unprotected:
                out.append(f"roles.{name}: sql: true lets hand-written SQL get around {'; '.join(risks)}. Leave `sql` "
                           "out (SQL is then off for the role) or add `sql_unprotected: true` to accept it")
        return out

    def warnings(self) -> list[str]:
        """What is allowed but weakens protection (printed by ``chatbi security check``)."""
        out: list[str] = []
        for name, role in self.spec.roles.items():
            try:
                risks = sql_risks(role_policy(role, {}, check=True), self.model)
            except ConfigError:
                continue
            if risks and role.sql is not False and role.sql_unprotected:
                out.append(f"roles.{name}: hand-written SQL gets around {'; '.join(risks)} (sql_unprotected: true)")
        return out

    # -- principals ---------------------------------------------------------------------------
    def principal(self, user: str) -> Principal:
        """The principal of a configured user (raises :class:`AccessDenied` when unknown or disabled)."""
        spec = self.spec.users.get(user)
        if spec is None:
            identity = self.spec.identity
            if identity is not None and identity.default_roles and _USER_NAME.match(user or ""):
                spec = UserSpec(roles=identity.default_roles)
            else:
                raise AccessDenied(f"unknown user {user!r}")
        if spec.disabled:
            raise AccessDenied(f"user {user!r} is disabled")
        attributes = {"name": user, **spec.attributes, **({"email": spec.email} if spec.email else {})}
        policy = AccessPolicy.union(role_policy(self.spec.roles[r], attributes) for r in spec.roles)
        return Principal(user, spec.roles, attributes, policy, spec.name)

    def may_use_sql(self, principal: Principal) -> bool:
        """Whether the principal may run hand-written SQL (the guard still filters what it reads).

        A role allows it when ``sql: true``, or when ``sql`` is unset and the role has neither
        small-cell suppression nor a mask SQL could get around. The user's combined access must
        not have such a risk either, unless an allowing role accepts it (``sql_unprotected``).
        """
        roles = [self.spec.roles[r] for r in principal.roles if r in self.spec.roles]
        allowing = [r for r in roles if self._role_allows_sql(r)]
        if not allowing:
            return False
        return not sql_risks(principal.policy, self.model) or any(r.sql_unprotected for r in allowing)

    def _role_allows_sql(self, role: RoleSpec) -> bool:
        if role.sql is not None:
            return role.sql
        try:
            return not sql_risks(role_policy(role, {}, check=True), self.model)
        except ConfigError:
            return False

    def authenticate(self, user: str, password: str) -> Principal | None:
        """The principal when ``password`` is right, else None (same time for unknown users)."""
        spec = self.spec.users.get(user or "")
        if spec is None or not spec.password:
            dummy_verify(password)
            return None
        if not verify_password(password, spec.password) or spec.disabled:
            return None
        return self.principal(user)

    def identify(self, headers: Mapping[str, str], remote_addr: str | None) -> Principal | None:
        """The principal named by the identity provider (None without one, or when it names nobody)."""
        if self.identity_provider is None:
            return None
        user = self.identity_provider.identify(headers, remote_addr)
        if not user:
            return None
        try:
            return self.principal(user)
        except AccessDenied:
            return None


def sql_risks(policy: AccessPolicy, model: SemanticModel | None) -> list[str]:
    """What hand-written SQL would get around in ``policy`` (empty: nothing).

    Small-cell suppression works on the compiler's aggregates; a statement can aggregate single
    rows. A masked metric that counts rows (``count(*)``) has no column to hide from SQL, so a
    ``COUNT(*)`` shows it unmasked. (Masks of columns are safe: SQL cannot read a masked column.)
    """
    out: list[str] = []
    if policy.min_group_size:
        out.append(f"small-cell suppression (min_group_size {policy.min_group_size}): SQL can aggregate single rows")
    if model is None or not policy.columns:
        return out
    try:
        metrics = policy.access(model).metrics
    except (KeyError, ValueError):  # names the model lacks are reported by the configuration check
        return out
    for name, rule in metrics.items():
        if rule.action != "mask" or name not in model.metrics:
            continue
        counted = [leaf for leaf in model.leaf_metrics(name) if getattr(model.metrics[leaf], "column", None) == "*"]
        if counted:
            out.append(f"the mask of {name!r}: it counts rows, and SQL can count them exactly")
    return out


def secret_key_problem(key: str) -> str | None:
    """What makes ``key`` guessable (too short, too few different characters), or None.

    A session cookie is signed with the key; a short or regular key is recovered from one cookie
    by trying candidates offline, and then any session can be forged.

    >>> import secrets
    >>> secret_key_problem(secrets.token_hex(32)) is None, secret_key_problem("a")[:28]
    (True, 'it is 1 characters long; use')
    >>> secret_key_problem("0123456789abcdef" * 4)[:32]
    'it repeats a shorter part; use a'
    """
    hint = 'use at least 32 random characters (e.g. `python -c "import secrets; print(secrets.token_hex(32))"`)'
    if len(key) < MIN_SECRET_LENGTH:
        return f"it is {len(key)} characters long; {hint}"
    if any(key[p:] == key[:-p] for p in range(1, len(key) // 2 + 1)):
        return f"it repeats a shorter part; {hint}"
    counts = [key.count(c) for c in set(key)]
    bits = -sum(n * math.log2(n / len(key)) for n in counts)
    if len(counts) < 12 or bits < 128:
        return f"it is too regular to be secret (about {bits:.0f} bits); {hint}"
    return None


def load_security(path: str | os.PathLike[str] | None, model: SemanticModel | None = None) -> Security | None:
    """``Security.load`` for a path, None for None (no access control configured)."""
    return None if path is None else Security.load(path, model)


# -- roles -> policies ------------------------------------------------------------------------
def role_policy(role: RoleSpec, attributes: Mapping[str, Any], *, check: bool = False) -> AccessPolicy:
    """One role's policy for a user with ``attributes`` (templates filled in)."""
    filters: list[RowFilter] = []
    possible = True
    for item in role.rows:
        for raw in _filter_dicts(item):
            filled = _fill(raw, attributes, check)
            if filled is None:
                possible = False  # the user lacks the attribute: this role grants no rows
                continue
            try:
                f = _FILTER.validate_python(filled)
            except ValidationError as exc:
                raise SecurityConfigError(f"invalid row filter {raw!r}: {exc.errors()[0]['msg']}") from None
            if f.dimension is None:
                raise SecurityConfigError(f"row filter {raw!r} must filter a dimension")
            filters.append(f)  # type: ignore[arg-type]
    rows: tuple[tuple[RowFilter, ...], ...] | None
    if not role.rows:
        rows = None
    else:
        rows = (tuple(filters),) if possible else ()
    columns = tuple(_column_rule(target, value) for target, value in role.columns.items())
    return AccessPolicy(rows=rows, columns=columns, min_group_size=role.min_group_size,
                        group_size_columns=tuple(role.group_size.items()), open_tables=frozenset(role.open_tables))


def _filter_dicts(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    if "op" in item:
        return [dict(item)]
    return [{"op": "in", "dimension": k, "values": list(v) if isinstance(v, (list, tuple)) else [v]}
            for k, v in item.items()]


def _fill(raw: dict[str, Any], attributes: Mapping[str, Any], check: bool) -> dict[str, Any] | None:
    """Substitute ``{{ user.x }}``; a list attribute widens ``values``; None when one is missing."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, list):
            items: list[Any] = []
            for v in value:
                filled = _fill_value(v, attributes, check)
                if filled is None:
                    return None
                items.extend(filled if isinstance(filled, list) else [filled])
            out[key] = items
        else:
            filled = _fill_value(value, attributes, check)
            if filled is None:
                return None
            out[key] = filled
    return out


def _fill_value(value: Any, attributes: Mapping[str, Any], check: bool) -> Any:
    if not isinstance(value, str) or "{{" not in value:
        return value
    names = _TEMPLATE.findall(value)
    if not names:
        raise SecurityConfigError(f"cannot read the template {value!r}; write it like '{{{{ user.region }}}}'")
    if check:
        return value  # configuration check: any placeholder will do
    if any(n not in attributes for n in names):
        return None
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        found = attributes[whole.group(1)]
        return [str(v) for v in found] if isinstance(found, (list, tuple)) else found
    return _TEMPLATE.sub(lambda m: str(attributes[m.group(1)]), value)


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return tuple((k, _freeze(v)) for k, v in value.items())
    return value


def _from_env(value: Any, where: str) -> Any:
    """``${VAR}`` reads an environment variable (secrets such as masking salts stay out of the file)."""
    match = _ENV.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return value
    found = os.environ.get(match.group(1))
    if not found:
        raise SecurityConfigError(f"{where} reads ${{{match.group(1)}}}, which is not set")
    return found


def _column_rule(target: str, value: Any) -> ColumnRule:
    if value in ("hide", "hidden") or (isinstance(value, Mapping) and value.get("hide") is True and len(value) == 1):
        return ColumnRule(target, "hide")
    if isinstance(value, str):
        check_operator(value, {})
        return ColumnRule(target, "mask", value)
    if isinstance(value, Mapping) and isinstance(value.get("mask"), str):
        params = {k: _from_env(v, f"column {target!r}: {k}") for k, v in value.items() if k != "mask"}
        check_operator(value["mask"], params)
        return ColumnRule(target, "mask", value["mask"], tuple((k, _freeze(v)) for k, v in params.items()))
    raise SecurityConfigError(f"column {target!r}: write 'hide', an operator name or {{mask: operator, ...}}")
