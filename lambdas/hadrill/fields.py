"""The field types every input surface shares: the deployment config (``stacks.config``), the
cluster facts the workflows read, the execution inputs, the CLI's arguments and (through
:mod:`hadrill.patterns`) the SSM documents' ``allowedPattern``.

A value one layer accepts must be accepted by every layer after it, or ``cdk synth`` succeeds and
setup dies later: so the config and the workflows' models use these same types, built on the same
ASCII-only patterns. Numbers are strict (``true`` is not 1). This module imports no CDK.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, Field, Strict

from hadrill import patterns as p
from hadrill.schedules import schedule_problem

# ---- names ------------------------------------------------------------------------------------------
ClusterName = Annotated[str, Field(pattern=p.CLUSTER_NAME)]
# Node, subnet and schedule names: one lowercase DNS label (a LifeKeeper system name is a host name).
Name = Annotated[str, Field(pattern=p.NAME)]
NodeName = Name
LogicalHost = Annotated[str, Field(pattern=p.LOGICAL_HOST, max_length=253)]
AvailabilityZone = Annotated[str, Field(pattern=p.AZ_NAME)]
AlarmName = Annotated[str, Field(pattern=p.ALARM_NAME)]
SecretName = Annotated[str, Field(pattern=p.SECRET_NAME)]
TagKey = Annotated[str, Field(pattern=p.TAG_KEY)]
TagValue = Annotated[str, Field(pattern=p.TAG_VALUE)]

# ---- HULFT and LifeKeeper ----------------------------------------------------------------------------
HulftVersion = Annotated[str, Field(pattern=p.HULFT_VERSION)]
HulftDir = Annotated[str, Field(pattern=p.HULFT_DIR, max_length=1024)]
AbsolutePath = Annotated[str, Field(pattern=p.ABSOLUTE_PATH, max_length=1024)]
FilesystemTag = Annotated[str, Field(pattern=p.FILESYSTEM_TAG, max_length=1024)]
LkTag = Annotated[str, Field(pattern=p.LK_TAG, max_length=1024)]
DataDevice = Annotated[str, Field(pattern=p.DATA_DEVICE)]
RootDevice = Annotated[str, Field(pattern=p.ROOT_DEVICE)]

# ---- AWS ---------------------------------------------------------------------------------------------
MediaKey = Annotated[str, Field(pattern=p.S3_KEY, max_length=1024)]
Sha256 = Annotated[str, Field(pattern=p.SHA256)]
InstanceType = Annotated[str, Field(pattern=p.INSTANCE_TYPE)]
AmiId = Annotated[str, Field(pattern=p.AMI_ID)]
SsmParameterPath = Annotated[str, Field(pattern=p.SSM_PARAMETER_PATH, max_length=2048)]
InstanceId = Annotated[str, Field(pattern=p.INSTANCE_ID)]
EniId = Annotated[str, Field(pattern=p.ENI_ID)]
RouteTableId = Annotated[str, Field(pattern=p.ROUTE_TABLE_ID)]
VpcId = Annotated[str, Field(pattern=p.VPC_ID)]

# ---- numbers: strict, so a boolean is never a number -------------------------------------------------
StrictWhole = Annotated[int, Strict()]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]
Seconds = Annotated[float, Strict()]

# ---- addresses ---------------------------------------------------------------------------------------
# AWS: a VPC's CIDR block and a subnet's are between /16 and /28.
MIN_PREFIX, MAX_PREFIX = 16, 28
_METADATA = ipaddress.IPv4Address("169.254.169.254")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")


def _vpc_sized(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        raise ValueError(f"{network} is a /{network.prefixlen}; AWS allows /{MIN_PREFIX} to /{MAX_PREFIX}")
    return network


def virtual_ip_problem(address: ipaddress.IPv4Address) -> str | None:
    """Why ``address`` cannot be the cluster's virtual IP (None: it can)."""
    if address == _METADATA:
        return f"{address} is the instance metadata address"
    for refused, what in (
        (address in _THIS_NETWORK, "in 0.0.0.0/8 (this network)"),
        (address == ipaddress.IPv4Address("255.255.255.255"), "the broadcast address"),
        (address.is_loopback, "a loopback address"),
        (address.is_multicast, "a multicast address"),
        (address.is_link_local, "a link-local address (169.254.0.0/16)"),
        (address.is_reserved, "a reserved address (240.0.0.0/4)"),
    ):
        if refused:
            return f"{address} is {what}; a virtual IP must be a unicast address a route table can point at"
    return None


def _usable_virtual_ip(address: ipaddress.IPv4Address) -> ipaddress.IPv4Address:
    problem = virtual_ip_problem(address)
    if problem:
        raise ValueError(problem)
    return address


def _usable_virtual_ip_text(text: str) -> str:
    _usable_virtual_ip(ipaddress.IPv4Address(text))
    return text


VpcCidr = Annotated[ipaddress.IPv4Network, AfterValidator(_vpc_sized)]
SubnetCidr = Annotated[ipaddress.IPv4Network, AfterValidator(_vpc_sized)]
VirtualIpAddress = Annotated[ipaddress.IPv4Address, AfterValidator(_usable_virtual_ip)]
# The same check on the dotted text the cluster facts carry.
VirtualIpText = Annotated[str, Field(pattern=p.IPV4), AfterValidator(_usable_virtual_ip_text)]


# ---- schedules ---------------------------------------------------------------------------------------
def _schedule(expression: str) -> str:
    problem = schedule_problem(expression)
    if problem:
        raise ValueError(problem)
    return expression


ScheduleExpression = Annotated[str, Field(max_length=256), AfterValidator(_schedule)]


def region_of(availability_zone: str) -> str:
    """ap-northeast-1a -> ap-northeast-1."""
    return availability_zone[:-1]
