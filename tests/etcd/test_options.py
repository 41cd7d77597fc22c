"""Options are checked when the driver is made, and ``driver.options`` re-opens the same store."""

from __future__ import annotations

from pathlib import Path

import pytest

from persist_core import available_drivers, get_driver
from persist_core.errors import InvalidArgumentError
from persist_etcd import EtcdDriver


def test_entry_point_finds_the_driver_without_a_server() -> None:
    assert "etcd" in available_drivers()
    driver = get_driver("etcd", endpoints="127.0.0.1:1")
    assert isinstance(driver, EtcdDriver)
    driver.close()


@pytest.mark.parametrize(
    ("endpoints", "expected"),
    [
        ("127.0.0.1:2379", ["http://127.0.0.1:2379"]),
        ("127.0.0.1:1, 127.0.0.1:2", ["http://127.0.0.1:1", "http://127.0.0.1:2"]),
        (["https://127.0.0.1:2379/", "127.0.0.1:2380"], ["https://127.0.0.1:2379", "http://127.0.0.1:2380"]),
        ("127.0.0.1:1,127.0.0.1:1", ["http://127.0.0.1:1"]),
        ("[::1]:2379", ["http://[::1]:2379"]),
    ],
)
def test_endpoints_accept_lists_and_comma_strings(endpoints: object, expected: list[str]) -> None:
    assert EtcdDriver(endpoints=endpoints).options["endpoints"] == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("endpoints", ["", "127.0.0.1", "ftp://127.0.0.1:1", "127.0.0.1:x", "h:1/path", [], [3], ","])
def test_bad_endpoints_are_named(endpoints: object) -> None:
    with pytest.raises(InvalidArgumentError, match="etcd endpoint"):
        EtcdDriver(endpoints=endpoints)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prefix": "persist"}, "prefix"),
        ({"prefix": "/per sist"}, "prefix"),
        ({"prefix": "/persisté"}, "prefix"),
        ({"prefix": "/p:q"}, "':'"),
        ({"max_request_bytes": 1000}, "max_request_bytes"),
        ({"max_request_bytes": 2.5e6}, "max_request_bytes"),
        ({"max_txn_ops": 2}, "max_txn_ops"),
        ({"max_txn_ops": "many"}, "max_txn_ops"),
        ({"cache_bytes": -1}, "cache_bytes"),
        ({"cache_bytes": True}, "cache_bytes"),
        ({"lock_ttl": 0}, "lock_ttl"),
        ({"lock_ttl": 1.5}, "lock_ttl"),
        ({"lock_ttl": True}, "lock_ttl"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"client_cert": "/c.pem"}, "client_key"),
        ({"user": "root"}, "password"),
        ({"ca_cert": ""}, "ca_cert"),
        ({"timeout": "soon"}, "timeout"),
        ({"user": "u", "password": "p", "password_file": "/p"}, "not both"),
        ({"user": "u", "password_file": "/nonexistent/password"}, "/nonexistent/password"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        EtcdDriver(**options)  # type: ignore[arg-type]


def test_options_reopen_the_same_store() -> None:
    driver = EtcdDriver(
        endpoints="127.0.0.1:1,127.0.0.1:2",
        prefix="/fleet/a/",
        lock_ttl=7,
        timeout=2,
        max_request_bytes="4194304",
        max_txn_ops=1024,
        cache_bytes=0,
        ca_cert="/ca.pem",
        client_cert="/c.pem",
        client_key="/k.pem",
        user="u",
        password="p",
    )
    options = driver.options
    assert options == {
        "endpoints": ["http://127.0.0.1:1", "http://127.0.0.1:2"],
        "prefix": "/fleet/a",
        "lock_ttl": 7,
        "timeout": 2.0,
        "max_request_bytes": 4194304,
        "max_txn_ops": 1024,
        "cache_bytes": 0,
        "ca_cert": "/ca.pem",
        "client_cert": "/c.pem",
        "client_key": "/k.pem",
        "user": "u",
        "password": "p",
    }
    assert get_driver("etcd", **options).options == options


def test_defaults() -> None:
    assert EtcdDriver().options == {
        "endpoints": ["http://127.0.0.1:2379"],
        "prefix": "/persist",
        "lock_ttl": 10,
        "timeout": 5.0,
        "cache_bytes": 8 << 20,
    }
    assert EtcdDriver(prefix="/").options["prefix"] == "/"


def test_numbers_may_come_as_strings_from_the_command_line() -> None:
    options = EtcdDriver(lock_ttl="7", timeout="2.5").options
    assert (options["lock_ttl"], options["timeout"]) == (7, 2.5)


def test_a_password_file_keeps_the_secret_out_of_options(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    options = EtcdDriver(user="u", password_file=str(secret)).options
    assert options["password_file"] == str(secret)
    assert "s3cret" not in repr(options)


def test_an_injected_fault_is_raised_before_etcd_is_asked() -> None:
    driver = EtcdDriver(endpoints="127.0.0.1:1", timeout=1)  # nothing listens there
    fault = RuntimeError("injected")
    driver.fail_next("sandbox_ids", fault)
    with pytest.raises(RuntimeError) as raised:
        driver.sandbox_ids()
    assert raised.value is fault
    with pytest.raises(InvalidArgumentError, match="'copy'"):
        driver.fail_next("copy", fault)
