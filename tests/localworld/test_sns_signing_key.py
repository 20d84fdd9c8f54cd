"""SNS messages are signed with one key for the world's life (localworld.patches.install_sns_signing_key)."""

from __future__ import annotations

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns import models as sns_models

from localworld import LocalWorld


def _delivered(world: LocalWorld, topic: str) -> dict[str, str]:
    sns, sqs = world.client("sns"), world.client("sqs")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{topic}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic_arn, Message=f"hello from {topic}")
    body = sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["Body"]
    return dict(json.loads(body))


def _verify(world: LocalWorld, message: dict[str, str]) -> bytes:
    """Check the signature with the certificate moto holds for it; return the certificate's public key."""
    key_name = message["SigningCertURL"].rsplit("/", 1)[1]
    pem = sns_models.sns_backends[DEFAULT_ACCOUNT_ID][world.region]._message_public_keys[key_name]
    public_key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    fields = ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
    signed = "".join(f"{field}\n{message[field]}\n" for field in fields).encode()
    public_key.verify(base64.b64decode(message["Signature"]), signed, padding.PKCS1v15(), hashes.SHA256())
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def test_every_subscription_signs_with_the_one_key_and_signatures_verify() -> None:
    own = sns_models.Subscription.__dict__["private_key"]
    with LocalWorld() as world:
        first, second = _delivered(world, "topic-a"), _delivered(world, "topic-b")
        assert first["Message"] == "hello from topic-a" and second["Message"] == "hello from topic-b"
        assert _verify(world, first) == _verify(world, second)
    assert sns_models.Subscription.__dict__["private_key"] is own  # moto's again after close
