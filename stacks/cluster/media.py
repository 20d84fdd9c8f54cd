"""The media bucket: HULFT and Recovery Kit images that the nodes copy before installing."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.nag import acknowledge

ACCESS_LOG_RETENTION = cdk.Duration.days(365)


class MediaBucket(Construct):
    """Private, versioned, encrypted, TLS-only bucket with server access logs."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=ACCESS_LOG_RETENTION)],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the access-log target of the media bucket; logging it to itself would loop.",
        )
        self.bucket = self.logged_bucket(self, "Bucket", log_prefix="media-bucket/")

    def logged_bucket(self, scope: Construct, construct_id: str, *, log_prefix: str) -> s3.Bucket:
        """A private, versioned, encrypted, TLS-only bucket whose access logs go to `access_logs`."""
        return s3.Bucket(
            scope,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=log_prefix,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
