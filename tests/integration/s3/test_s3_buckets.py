"""S3 bucket operations and bucket sub-resources through boto3 against the real server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emr.identity import AccessKeyStore
from emr.state import open_database
from tests.conftest import RunningServer
from tests.integration.s3.conftest import unique_bucket_name

OTHER_ACCOUNT = "210987654321"


def other_account_client(region: RunningServer) -> Any:
    """An S3 client signing with a root key of another account of the same region."""
    database = open_database(f"sqlite:///{region.data_dir / 'state.db'}")
    try:
        identity = AccessKeyStore(database).ensure_root_key(OTHER_ACCOUNT)
    finally:
        database.dispose()
    session = region.session(key=identity.access_key_id, secret=identity.secret_access_key)
    return region.client("s3", session)


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_head_list_locate_and_delete_a_bucket(s3: Any) -> None:
    name = unique_bucket_name("lifecycle")
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    owner = listed["Owner"]
    assert len(owner["ID"]) == 64 and all(c in "0123456789abcdef" for c in owner["ID"])
    assert owner["DisplayName"].isdigit()
    # us-east-1 is answered as an empty constraint
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    deleted = s3.delete_bucket(Bucket=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket=name)
    assert error_of(caught) == ("404", 404)


def test_location_constraint(s3: Any) -> None:
    name = unique_bucket_name("located")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    try:
        assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-2"
        region = s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]
        assert region["x-amz-bucket-region"] == "eu-west-2"
    finally:
        s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(
            Bucket=unique_bucket_name("east"),
            CreateBucketConfiguration={"LocationConstraint": "us-east-1"},
        )
    assert error_of(caught) == ("InvalidLocationConstraint", 400)


@pytest.mark.parametrize("name", ["ab", "Upper-Case", "under_score", "192.168.1.1", "a..b"])
def test_invalid_bucket_names_are_refused(s3: Any, name: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(Bucket=name)
    assert error_of(caught) == ("InvalidBucketName", 400)


def test_bucket_conflicts_and_missing_buckets(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(Bucket=bucket)
    assert error_of(caught) == ("BucketAlreadyOwnedByYou", 409)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(caught) == ("BucketNotEmpty", 409)
    missing = unique_bucket_name("missing")
    for call in (
        lambda: s3.delete_bucket(Bucket=missing),
        lambda: s3.list_objects_v2(Bucket=missing),
        lambda: s3.get_bucket_location(Bucket=missing),
        lambda: s3.put_object(Bucket=missing, Key="k", Body=b"x"),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_of(caught) == ("NoSuchBucket", 404)
        assert caught.value.response["Error"]["BucketName"] == missing


def test_another_accounts_bucket_is_access_denied(
    region: RunningServer, s3: Any, bucket: str
) -> None:
    other = other_account_client(region)
    for call in (
        lambda: other.list_objects_v2(Bucket=bucket),
        lambda: other.put_object(Bucket=bucket, Key="k", Body=b"x"),
        lambda: other.delete_bucket(Bucket=bucket),
        lambda: other.get_bucket_policy(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_of(caught) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as caught:
        other.create_bucket(Bucket=bucket)
    assert error_of(caught) == ("BucketAlreadyExists", 409)
    assert bucket not in [b["Name"] for b in other.list_buckets()["Buckets"]]


def test_versioning_configuration(s3: Any, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_bucket_policy(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(caught) == ("NoSuchBucketPolicy", 404)
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    for bad in ("not json", "[1, 2]"):
        with pytest.raises(ClientError) as caught:
            s3.put_bucket_policy(Bucket=bucket, Policy=bad)
        assert error_of(caught) == ("MalformedPolicy", 400)
    assert s3.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)


def test_cors(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_of(caught) == ("NoSuchCORSConfiguration", 404)
    rules = [
        {
            "AllowedMethods": ["GET", "PUT"],
            "AllowedOrigins": ["https://example.com"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        }
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_cors(Bucket=bucket)


def test_bucket_tagging(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(caught) == ("NoSuchTagSet", 404)
    tags = [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "test"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_sub_resources_clients_probe(s3: Any, bucket: str) -> None:
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"] == [
        {
            "Grantee": {
                "ID": acl["Owner"]["ID"],
                "DisplayName": acl["Owner"]["DisplayName"],
                "Type": "CanonicalUser",
            },
            "Permission": "FULL_CONTROL",
        }
    ]
    probes = {
        "ServerSideEncryptionConfigurationNotFoundError": s3.get_bucket_encryption,
        "NoSuchLifecycleConfiguration": s3.get_bucket_lifecycle_configuration,
        "NoSuchPublicAccessBlockConfiguration": s3.get_public_access_block,
    }
    for code, call in probes.items():
        with pytest.raises(ClientError) as caught:
            call(Bucket=bucket)
        assert error_of(caught) == (code, 404)


def test_encryption_lifecycle_and_public_access_block_round_trip(s3: Any, bucket: str) -> None:
    encryption = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=encryption)
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got == encryption
    rules = [
        {
            "ID": "expire",
            "Status": "Enabled",
            "Filter": {"Prefix": "tmp/"},
            "Expiration": {"Days": 7},
        }
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules
    block = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == block
    s3.delete_bucket_encryption(Bucket=bucket)
    s3.delete_bucket_lifecycle(Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_encryption(Bucket=bucket)
