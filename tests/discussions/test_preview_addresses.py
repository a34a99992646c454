"""Link previews never reach a private IPv4 address through an IPv6 address that carries it."""
import pytest

from hub.discussions import previews

# Each of these forwards to (or stands for) a private, loopback or link-local IPv4 address.
REFUSED = {
    "NAT64 well-known prefix, loopback": "64:ff9b::7f00:1",
    "NAT64 well-known prefix, 10/8": "64:ff9b::a00:1",
    "NAT64 well-known prefix, metadata service": "64:ff9b::a9fe:a9fe",
    "NAT64 local-use prefix, 10/8": "64:ff9b:1::a00:1",
    "NAT64 local-use prefix, a public address": "64:ff9b:1::808:808",
    "6to4, loopback": "2002:7f00:1::1",
    "6to4, 192.168/16": "2002:c0a8:101::1",
    "6to4, metadata service": "2002:a9fe:a9fe::",
    "site-local": "fec0::1",
    "site-local, other subnet": "feff:ffff::1",
    "IPv4-compatible, loopback": "::127.0.0.1",
    "IPv4-translated, 172.16/12": "::ffff:0:172.16.0.1",
    "IPv4-mapped, loopback": "::ffff:127.0.0.1",
}

ALLOWED = {
    "NAT64 well-known prefix, a public address": "64:ff9b::808:808",
    "6to4, a public address": "2002:808:808::1",
    "an ordinary global address": "2607:f8b0:4004:800::200e",
}


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_ipv6_forms_of_private_ipv4_addresses_are_refused(address):
    assert not previews._allowed_address(address, allow_private=False)
    with pytest.raises(previews.Refused):
        previews._resolve(address, 80, allow_private=False)


@pytest.mark.parametrize("address", ALLOWED.values(), ids=ALLOWED.keys())
def test_ipv6_forms_of_public_addresses_stay_allowed(address):
    assert previews._allowed_address(address, allow_private=False)

