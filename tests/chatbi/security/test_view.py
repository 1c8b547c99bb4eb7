"""A user's view is the shared facade seen through their policy, by composition.

The view holds the facade (``base``) and the principal, and computes every per-user thing --
members, the guard, the engine's masking, caches -- through the policy. Nothing of the facade's
state is copied into it, so an attribute the facade caches (today's or one added tomorrow)
cannot carry another user's rows into the view, whichever of them reads it first.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

import pytest

from chatbi import ChatBI

from .test_rows import PROVINCES


def _provinces_listed(self: ChatBI) -> frozenset[str]:
    return frozenset(self.members.values("province"))


def _provinces_totalled(self: ChatBI) -> frozenset[str]:
    return frozenset(self.query(metrics=["revenue"], dimensions=["province"]).data["province"])


@pytest.fixture(params=[_provinces_listed, _provinces_totalled], ids=["members", "query"])
def cached_on_the_facade(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A cached attribute added to the facade class at test time, as a future change might."""
    name = "provinces_seen"
    attribute = cached_property(request.param)
    attribute.__set_name__(ChatBI, name)
    monkeypatch.setattr(ChatBI, name, attribute, raising=False)
    yield name


@pytest.mark.parametrize("first", ["facade", "view", "facade then a new view"])
def test_a_new_cached_attribute_cannot_show_a_user_more(sample_model, sample_db_path, security,
                                                         cached_on_the_facade: str, first: str) -> None:
    with ChatBI(sample_model, sample_db_path) as bi:
        if first == "facade then a new view":  # the facade has filled its cache before the view exists
            assert getattr(bi, cached_on_the_facade) == PROVINCES
        alice = bi.for_user("alice", security=security)
        readers = [bi, alice] if first.startswith("facade") else [alice, bi]
        seen = {id(reader): getattr(reader, cached_on_the_facade) for reader in readers}
        assert seen[id(alice)] == {"广东"}
        assert seen[id(bi)] == PROVINCES
        assert getattr(bi.for_user("root", security=security), cached_on_the_facade) == PROVINCES
