"""security.yaml: password hashes, roles to policies (templates, unions), identity providers, errors."""

from __future__ import annotations

import time

import pytest
import yaml

from chatbi.security import AccessDenied, HeaderIdentityProvider, Security, SecurityConfigError, hash_password
from chatbi.security.passwords import verify_password
from semantic_layer.policy import AccessPolicy

from .conftest import PASSWORDS, SECRET_KEY, telecom_security_doc


def test_password_hashes_verify_and_carry_their_parameters() -> None:
    scrypt = hash_password("s3cret-Passw0rd", n=2 ** 10)
    pbkdf2 = hash_password("s3cret-Passw0rd", method="pbkdf2_sha256", iterations=1000)
    assert scrypt.startswith("scrypt$1024$8$1$") and pbkdf2.startswith("pbkdf2_sha256$1000$")
    for stored in (scrypt, pbkdf2):
        assert verify_password("s3cret-Passw0rd", stored)
        assert not verify_password("s3cret-passw0rd", stored)
    assert hash_password("x", n=2 ** 10) != hash_password("x", n=2 ** 10)  # salted
    for broken in (None, "", "plain-text", "scrypt$1$1$1$x$y", "md5$abc", "scrypt$1024$8$1$!!$??"):
        assert not verify_password("x", broken)


def test_sign_in(security) -> None:
    assert security.authenticate("alice", PASSWORDS["alice"]).user == "alice"
    assert security.authenticate("alice", PASSWORDS["bob"]) is None
    assert security.authenticate("nobody", "x") is None
    assert security.authenticate("carol", "") is None  # no password: only an identity provider may sign her in
    assert security.secret_key == SECRET_KEY


def test_roles_resolve_to_policies_with_user_attributes(security) -> None:
    alice = security.principal("alice")
    assert alice.name == "Alice" and alice.roles == ("guangdong_analyst",)
    assert [f.values for alt in alice.policy.rows for f in alt] == [("广东",)]
    bob = security.principal("bob")
    assert [f.values for alt in bob.policy.rows for f in alt] == [("华东",)]
    assert bob.policy.columns[0].operator == "round_to" and bob.policy.columns[0].options == {"step": 1000000}
    assert security.principal("carol").policy.rows == ()  # the template has nothing to fill: no rows
    dave = security.principal("dave")  # two roles: the union of both
    assert {f.values for alt in dave.policy.rows for f in alt} == {("广东",), ("西南",)}
    assert dave.policy.columns == ()  # only one of the roles masks revenue
    assert security.principal("root").policy == AccessPolicy()
    with pytest.raises(AccessDenied):
        security.principal("gone")
    with pytest.raises(AccessDenied):
        security.principal("mallory")
    assert not security.may_use_sql(security.principal("viewer")) and security.may_use_sql(alice)


def test_list_attributes_widen_the_filter(sample_model) -> None:
    doc = telecom_security_doc()
    doc["users"]["bob"]["attributes"] = {"region": ["华东", "华南"]}
    sec = Security.from_dict(doc, model=sample_model)
    assert [f.values for alt in sec.principal("bob").policy.rows for f in alt] == [("华东", "华南")]


def test_configuration_problems_are_listed_together(sample_model, tmp_path) -> None:
    doc = {
        "users": {"eve": {"password": "hunter2", "roles": ["analsyt"]}, "bad name!": {}},
        "roles": {"analyst": {"rows": [{"provnce": "广东"}], "columns": {"phone": "hide", "city": {"mask": "phon"}}},
                  "tmpl": {"rows": [{"region": "{{ region }}"}]}},
    }
    with pytest.raises(SecurityConfigError) as caught:
        Security.from_dict(doc, model=sample_model, source="security.yaml")
    text = str(caught.value)
    for expected in ("security.yaml", "unknown role 'analsyt'", "'analyst'", "store a hash", "bad name!",
                     "unknown dimension 'provnce'", "'province'", "'phone' is neither", "Did you mean 'phone'",
                     "cannot read the template"):
        assert expected in text, expected
    path = tmp_path / "security.yaml"
    path.write_text("users: [", encoding="utf-8")
    with pytest.raises(SecurityConfigError, match="not valid YAML"):
        Security.load(path)
    path.write_text(yaml.safe_dump({"users": {}, "rolse": {}}), encoding="utf-8")
    with pytest.raises(SecurityConfigError, match="rolse"):
        Security.load(path)


def test_secret_key_from_the_environment(sample_model, monkeypatch) -> None:
    doc = telecom_security_doc()
    doc["secret_key"] = "${MY_APP_SECRET}"
    monkeypatch.setenv("MY_APP_SECRET", SECRET_KEY + "-from-env")
    assert Security.from_dict(doc, model=sample_model).secret_key == SECRET_KEY + "-from-env"
    del doc["secret_key"]
    monkeypatch.setenv("CHATBI_SECRET_KEY", SECRET_KEY + "-default")
    assert Security.from_dict(doc, model=sample_model).secret_key == SECRET_KEY + "-default"
    monkeypatch.setenv("CHATBI_SECRET_KEY", "default-env")  # a weak key from the environment is refused too
    with pytest.raises(SecurityConfigError, match="secret_key: it is 11 characters long"):
        Security.from_dict(doc, model=sample_model)


@pytest.mark.parametrize(("key", "problem"), [
    ("a", "1 characters long"), ("test-secret-key", "15 characters long"),
    ("correct-horse-battery-staple", "28 characters long"),
    ("abababababababababababababababababababab", "repeats a shorter part"),
    ("0123456789abcdef" * 3, "repeats a shorter part"),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "too regular"),
])
def test_a_weak_secret_key_is_refused_by_security_check(sample_model, tmp_path, capsys, key, problem) -> None:
    from chatbi.cli import main

    doc = telecom_security_doc()
    doc["secret_key"] = key
    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert main(["security", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "secret_key: it " in err and problem in err and "token_hex(32)" in err
    assert key not in err or len(key) < 3  # the key itself is not printed
    doc["secret_key"] = SECRET_KEY
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert main(["security", "check", str(path)]) == 0


def test_the_proxy_header_is_trusted_only_from_trusted_proxies(sample_model) -> None:
    doc = telecom_security_doc()
    doc["identity"] = {"header": "X-Forwarded-User", "trusted_proxies": ["10.0.0.0/8"], "default_roles": ["viewer"]}
    sec = Security.from_dict(doc, model=sample_model)
    assert sec.identify({"X-Forwarded-User": "alice"}, "10.1.2.3").user == "alice"
    assert sec.identify({"X-Forwarded-User": "alice"}, "192.168.1.9") is None  # anyone can send the header
    assert sec.identify({}, "10.1.2.3") is None
    assert sec.identify({"X-Forwarded-User": "x' OR 1=1"}, "10.1.2.3") is None
    newcomer = sec.identify({"X-Forwarded-User": "newcomer"}, "10.1.2.3")
    assert newcomer.roles == ("viewer",)  # a user the file does not list gets the default roles
    del doc["identity"]["default_roles"]
    assert Security.from_dict(doc, model=sample_model).identify({"X-Forwarded-User": "newcomer"}, "10.1.2.3") is None


def test_a_custom_identity_provider_plugs_in(sample_model) -> None:
    class Ticket:
        def identify(self, headers, remote_addr):
            return {"t-1": "bob"}.get(headers.get("X-Ticket", ""))

    sec = Security.from_dict(telecom_security_doc(), model=sample_model, identity_provider=Ticket())
    assert sec.identify({"X-Ticket": "t-1"}, None).user == "bob"
    assert sec.identify({"X-Ticket": "t-2"}, None) is None
    assert HeaderIdentityProvider().identify({"X-Forwarded-User": "a"}, "not-an-ip") is None


def test_an_unknown_user_costs_as_much_as_a_wrong_password(security) -> None:
    def timed(user: str) -> float:
        start = time.perf_counter()
        for _ in range(5):
            security.authenticate(user, "wrong-password")
        return time.perf_counter() - start

    known, unknown = timed("alice"), timed("nobody-at-all")
    # the dummy hash uses the default (higher) cost: an unknown name is never the faster answer
    assert unknown >= known * 0.5


def test_a_masking_salt_comes_from_the_environment_and_is_never_printed(sample_model, tmp_path, monkeypatch,
                                                                         capsys) -> None:
    from chatbi.cli import main

    doc = {"users": {"u": {"roles": ["r"]}},
           "roles": {"r": {"columns": {"plan": {"mask": "tokenize", "salt": "${CHATBI_TEST_MASK_SALT}"}}}}}
    monkeypatch.delenv("CHATBI_TEST_MASK_SALT", raising=False)
    with pytest.raises(SecurityConfigError, match=r"salt reads \$\{CHATBI_TEST_MASK_SALT\}, which is not set"):
        Security.from_dict(doc, model=sample_model)
    secret = "6f1e0c2a9b8d7e3f4a5b6c7d"
    monkeypatch.setenv("CHATBI_TEST_MASK_SALT", secret)
    security = Security.from_dict(doc, model=sample_model)
    assert dict(security.principal("u").policy.columns[0].params)["salt"] == secret
    path = tmp_path / "security.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert main(["security", "policy", "u", str(path)]) == 0
    out = capsys.readouterr().out
    assert "tokenize" in out and "<secret>" in out and secret not in out
