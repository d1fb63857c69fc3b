"""Access keys and one-time codes: generation, the rules for chosen keys, hashing."""

from __future__ import annotations

import asyncio

import pytest

from accounts import keys
from accounts.keys import Hasher, common_passwords, generate_code, generate_key, key_problem


def test_generated_keys_are_long_letters_and_digits_and_differ() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert len(key) >= 10 and key.isalnum() and key.isascii()


def test_one_time_codes_are_six_digits() -> None:
    codes = [generate_code() for _ in range(200)]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(set(codes)) > 150


def test_the_common_password_list_is_large() -> None:
    assert len(common_passwords()) >= 10_000
    assert "password" in common_passwords()


def test_only_a_whole_line_of_the_list_is_common() -> None:
    assert "qwerty" in common_passwords() and "dragon" in common_passwords()
    assert "ragon" not in common_passwords() and "password\n12345678" not in common_passwords()
    assert key_problem("password\n12345678") is None


@pytest.mark.parametrize(
    ("key", "current", "problem"),
    [
        ("short", None, "at least 8"),
        ("k" * 129, None, "at most 128"),
        ("Password1", None, "most common passwords"),
        ("same as before", "same as before", "must differ"),
    ],
)
def test_chosen_keys_are_refused_for_a_reason(key: str, current: str | None, problem: str) -> None:
    found = key_problem(key, current)
    assert found is not None and problem in found


@pytest.mark.parametrize("key", ["all lowercase words", "12345678901234x", "ÜnïcødeKey!"])
def test_no_composition_rule_beyond_length_and_commonness(key: str) -> None:
    assert key_problem(key) is None


async def test_hash_is_argon2id_and_verifies_only_the_right_key() -> None:
    hasher = Hasher(memory_kib=1024, time_cost=1)
    hashed = await hasher.hash("the right key")
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert await hasher.verify(hashed, "the right key")
    assert not await hasher.verify(hashed, "the wrong key")
    assert not await hasher.verify("not a hash", "the right key")


async def test_unknown_accounts_are_checked_against_a_dummy_hash() -> None:
    hasher = Hasher(memory_kib=1024, time_cost=1)
    assert hasher._dummy.startswith("$argon2id$")
    assert not await hasher.verify(None, "anything")


async def test_a_hash_made_with_other_parameters_asks_for_a_rehash() -> None:
    old = await Hasher(memory_kib=1024, time_cost=1).hash("key")
    assert Hasher(memory_kib=2048, time_cost=2).needs_rehash(old)
    assert not Hasher(memory_kib=1024, time_cost=1).needs_rehash(old)


async def test_the_memory_of_hashing_goes_back_once_no_hash_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keys, "RELEASE_AFTER", 0.05)
    hasher = Hasher(memory_kib=1024, time_cost=1)
    trims: list[int] = []

    def trim(pad: int) -> int:
        trims.append(pad)
        return 1

    hasher._trim = trim
    await asyncio.gather(hasher.hash("one"), hasher.hash("two"))
    await hasher.hash("three")
    assert trims == []
    await asyncio.sleep(0.3)
    assert trims == [0]
