"""``preconcile local serve`` answers S3 too: boto3's s3 client (and the AWS CLI when it is
installed) against one endpoint, over the same object store that import jobs read.

One ``local serve`` process serves the module (each test uses its own buckets).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from schemas import INTERACTIONS
from serving import start_serve

MiB = 1024 * 1024
ENV = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = start_serve(tmp_path_factory.mktemp("s3serve") / "state")
    yield server
    err = server.stop()
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def s3(served):
    return boto3.client(
        "s3",
        endpoint_url=served.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1}),
    )


def client(served, service: str):
    return boto3.client(
        service,
        endpoint_url=served.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1}),
    )


def error_of(call) -> tuple[int, dict]:
    with pytest.raises(ClientError) as info:
        call()
    r = info.value.response
    error = {k: v for k, v in r["Error"].items()}
    return r["ResponseMetadata"]["HTTPStatusCode"], error


def raw(url: str, method: str, path: str, headers: dict | None = None, body: bytes = b""):
    """(status, headers, body) of one plain HTTP request."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


# -- buckets ----------------------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    s3.create_bucket(Bucket="life")
    assert "life" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.head_bucket(Bucket="life")["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.create_bucket(Bucket="life")  # again: 200 in us-east-1, as S3
    s3.put_object(Bucket="life", Key="x/y.csv", Body=b"1")
    assert error_of(lambda: s3.delete_bucket(Bucket="life")) == (
        409,
        {
            "Code": "BucketNotEmpty",
            "Message": "The bucket you tried to delete is not empty",
            "BucketName": "life",
        },
    )
    s3.delete_object(Bucket="life", Key="x/y.csv")
    s3.delete_bucket(Bucket="life")
    assert "life" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert error_of(lambda: s3.head_bucket(Bucket="life")) == (
        404,
        {"Code": "404", "Message": "Not Found"},
    )
    assert error_of(lambda: s3.delete_bucket(Bucket="life")) == (
        404,
        {
            "Code": "NoSuchBucket",
            "Message": "The specified bucket does not exist",
            "BucketName": "life",
        },
    )


def test_bucket_in_another_region_and_its_location(served):
    s3 = boto3.client(
        "s3",
        endpoint_url=served.url,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    west = {"LocationConstraint": "eu-west-1"}
    s3.create_bucket(Bucket="west", CreateBucketConfiguration=west)
    assert error_of(lambda: s3.create_bucket(Bucket="west", CreateBucketConfiguration=west)) == (
        409,
        {
            "Code": "BucketAlreadyOwnedByYou",
            "Message": "Your previous request to create the named bucket succeeded and you "
            "already own it.",
            "BucketName": "west",
        },
    )
    assert s3.get_bucket_location(Bucket="west")["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket="west")["BucketRegion"] == "eu-west-1"


def test_invalid_bucket_name(s3):
    assert error_of(lambda: s3.create_bucket(Bucket="Bad_Bucket")) == (
        400,
        {
            "Code": "InvalidBucketName",
            "Message": "The specified bucket is not valid: bucket names use only lower-case "
            "letters, digits, dots and hyphens, and start and end with a letter or digit.",
            "BucketName": "Bad_Bucket",
        },
    )


# -- objects ----------------------------------------------------------------------------------


def test_put_get_head_delete(s3):
    s3.create_bucket(Bucket="objects")
    body = b"USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n"
    etag = '"' + hashlib.md5(body).hexdigest() + '"'
    assert s3.put_object(Bucket="objects", Key="in/data.csv", Body=body)["ETag"] == etag
    got = s3.get_object(Bucket="objects", Key="in/data.csv")
    assert (got["Body"].read(), got["ETag"], got["ContentLength"]) == (body, etag, len(body))
    head = s3.head_object(Bucket="objects", Key="in/data.csv")
    assert (head["ETag"], head["ContentLength"], head["AcceptRanges"]) == (etag, len(body), "bytes")
    assert head["LastModified"] == got["LastModified"]
    s3.delete_object(Bucket="objects", Key="in/data.csv")
    s3.delete_object(Bucket="objects", Key="in/data.csv")  # gone already: still 204, as S3
    assert error_of(lambda: s3.get_object(Bucket="objects", Key="in/data.csv")) == (
        404,
        {"Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": "in/data.csv"},
    )
    assert error_of(lambda: s3.head_object(Bucket="objects", Key="in/data.csv")) == (
        404,
        {"Code": "404", "Message": "Not Found"},
    )


def test_put_into_a_missing_bucket(s3):
    assert error_of(lambda: s3.put_object(Bucket="nowhere-bucket", Key="k", Body=b"x")) == (
        404,
        {
            "Code": "NoSuchBucket",
            "Message": "The specified bucket does not exist",
            "BucketName": "nowhere-bucket",
        },
    )


def test_a_key_the_store_cannot_hold(s3):
    s3.create_bucket(Bucket="keys")
    assert error_of(lambda: s3.put_object(Bucket="keys", Key="a/../b", Body=b"x")) == (
        400,
        {
            "Code": "InvalidArgument",
            "Message": 'Invalid S3 key in s3://keys/a/../b: the segment ".." is not allowed '
            "(keys may not climb out of their bucket)",
            "ArgumentName": "key",
            "ArgumentValue": "a/../b",
        },
    )


def test_keys_the_store_cannot_hold_name_no_object(s3):
    s3.create_bucket(Bucket="folders")
    s3.put_object(Bucket="folders", Key="a/b.csv", Body=b"x")
    for key in ("a/", "a/../b.csv"):
        assert error_of(lambda key=key: s3.head_object(Bucket="folders", Key=key)) == (
            404,
            {"Code": "404", "Message": "Not Found"},
        )
        assert error_of(lambda key=key: s3.get_object(Bucket="folders", Key=key)) == (
            404,
            {"Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": key},
        )
        s3.delete_object(Bucket="folders", Key=key)  # nothing there: 204
    out = s3.delete_objects(Bucket="folders", Delete={"Objects": [{"Key": "a/"}]})
    assert [d["Key"] for d in out["Deleted"]] == ["a/"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="folders")["Contents"]] == ["a/b.csv"]


def test_ranges_and_conditions(s3):
    s3.create_bucket(Bucket="ranges")
    s3.put_object(Bucket="ranges", Key="r.txt", Body=b"0123456789")
    part = s3.get_object(Bucket="ranges", Key="r.txt", Range="bytes=2-5")
    assert (
        part["Body"].read(),
        part["ContentRange"],
        part["ResponseMetadata"]["HTTPStatusCode"],
    ) == (
        b"2345",
        "bytes 2-5/10",
        206,
    )
    assert s3.get_object(Bucket="ranges", Key="r.txt", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket="ranges", Key="r.txt", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket="ranges", Key="r.txt", Range="bytes=8-99")["Body"].read() == b"89"
    assert error_of(lambda: s3.get_object(Bucket="ranges", Key="r.txt", Range="bytes=10-")) == (
        416,
        {
            "Code": "InvalidRange",
            "Message": "The requested range is not satisfiable",
            "ActualObjectSize": "10",
        },
    )
    assert error_of(lambda: s3.get_object(Bucket="ranges", Key="r.txt", IfMatch='"nope"')) == (
        412,
        {
            "Code": "PreconditionFailed",
            "Message": "At least one of the pre-conditions you specified did not hold",
            "Condition": "If-Match",
        },
    )
    etag = s3.head_object(Bucket="ranges", Key="r.txt")["ETag"]
    assert s3.get_object(Bucket="ranges", Key="r.txt", IfMatch=etag)["Body"].read() == b"0123456789"


def test_a_wrong_content_md5_keeps_nothing(served):
    body = b"abc"
    status, _, reply = raw(served.url, "PUT", "/md5check", {"Content-Length": "0"})
    assert status == 200
    status, _, reply = raw(
        served.url,
        "PUT",
        "/md5check/k.txt",
        {"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA==", "Content-Length": str(len(body))},
        body,
    )
    assert status == 400
    assert b"<Code>BadDigest</Code><Message>The Content-MD5 you specified did not match what " in (
        reply
    )
    status, _, _ = raw(served.url, "HEAD", "/md5check/k.txt")
    assert status == 404


def test_delete_objects(s3):
    s3.create_bucket(Bucket="many")
    for k in ("a.csv", "b.csv", "c.csv"):
        s3.put_object(Bucket="many", Key=k, Body=b"x")
    out = s3.delete_objects(
        Bucket="many",
        Delete={"Objects": [{"Key": "a.csv"}, {"Key": "b.csv"}, {"Key": "missing.csv"}]},
    )
    assert [d["Key"] for d in out["Deleted"]] == ["a.csv", "b.csv", "missing.csv"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="many")["Contents"]] == ["c.csv"]


# -- listing ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed(s3):
    s3.create_bucket(Bucket="listing")
    keys = ["a/1.csv", "a/2.csv", "a/deep/3.csv", "b/1.csv", "c.csv", "d e+f.csv"]
    for k in keys:
        s3.put_object(Bucket="listing", Key=k, Body=k.encode())
    return keys


def test_list_with_delimiter(s3, listed):
    out = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/"]
    assert [(o["Key"], o["Size"]) for o in out["Contents"]] == [("c.csv", 5), ("d e+f.csv", 9)]
    assert (out["KeyCount"], out["IsTruncated"]) == (4, False)
    inner = s3.list_objects_v2(Bucket="listing", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inner["Contents"]] == ["a/1.csv", "a/2.csv"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["a/deep/"]
    assert s3.list_objects_v2(Bucket="listing", Prefix="zzz")["KeyCount"] == 0
    etag = '"' + hashlib.md5(b"c.csv").hexdigest() + '"'
    assert out["Contents"][0]["ETag"] == etag


def test_list_pages(s3, listed):
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(
            Bucket="listing", Delimiter="/", PaginationConfig={"PageSize": 1}
        )
    )
    seen = [
        [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        + [o["Key"] for o in page.get("Contents", [])]
        for page in pages
    ]
    assert seen == [["a/"], ["b/"], ["c.csv"], ["d e+f.csv"]]
    flat = s3.get_paginator("list_objects_v2").paginate(
        Bucket="listing", PaginationConfig={"PageSize": 4}
    )
    assert [o["Key"] for page in flat for o in page["Contents"]] == listed
    first = s3.list_objects_v2(Bucket="listing", MaxKeys=2)
    assert (first["IsTruncated"], [o["Key"] for o in first["Contents"]]) == (
        True,
        ["a/1.csv", "a/2.csv"],
    )
    rest = s3.list_objects_v2(
        Bucket="listing", ContinuationToken=first["NextContinuationToken"], MaxKeys=2
    )
    assert [o["Key"] for o in rest["Contents"]] == ["a/deep/3.csv", "b/1.csv"]
    after = s3.list_objects_v2(Bucket="listing", StartAfter="b/1.csv")
    assert [o["Key"] for o in after["Contents"]] == ["c.csv", "d e+f.csv"]
    assert error_of(lambda: s3.list_objects_v2(Bucket="listing", ContinuationToken="%%%")) == (
        400,
        {
            "Code": "InvalidArgument",
            "Message": "The continuation token provided is incorrect",
            "ArgumentName": "continuation-token",
        },
    )


def test_list_objects_v1(s3, listed):
    out = s3.list_objects(Bucket="listing", Marker="a/deep/3.csv", MaxKeys=2)
    assert [o["Key"] for o in out["Contents"]] == ["b/1.csv", "c.csv"]
    assert out["IsTruncated"] is True
    pages = s3.get_paginator("list_objects").paginate(
        Bucket="listing", PaginationConfig={"PageSize": 5}
    )
    assert [o["Key"] for page in pages for o in page["Contents"]] == listed


def test_list_a_missing_bucket(s3):
    assert error_of(lambda: s3.list_objects_v2(Bucket="no-such-bucket")) == (
        404,
        {
            "Code": "NoSuchBucket",
            "Message": "The specified bucket does not exist",
            "BucketName": "no-such-bucket",
        },
    )


# -- multipart --------------------------------------------------------------------------------


def test_big_multipart_upload_and_ranged_download(s3):
    s3.create_bucket(Bucket="big")
    data = os.urandom(13 * MiB)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_fileobj(io.BytesIO(data), "big", "data/big.bin", Config=config)
    parts = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    head = s3.head_object(Bucket="big", Key="data/big.bin")
    assert (head["ETag"], head["ContentLength"]) == (f'"{digest}-3"', len(data))
    out = io.BytesIO()
    s3.download_fileobj("big", "data/big.bin", out, Config=config)  # ranged GETs
    assert out.getvalue() == data
    listed = s3.list_objects_v2(Bucket="big")["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed] == [
        ("data/big.bin", f'"{digest}-3"', len(data))
    ]


def test_multipart_refusals(s3):
    s3.create_bucket(Bucket="parts")
    upload = s3.create_multipart_upload(Bucket="parts", Key="k.bin")["UploadId"]
    e1 = s3.upload_part(Bucket="parts", Key="k.bin", UploadId=upload, PartNumber=1, Body=b"a")
    e2 = s3.upload_part(Bucket="parts", Key="k.bin", UploadId=upload, PartNumber=2, Body=b"b")

    def complete(parts):
        return lambda: s3.complete_multipart_upload(
            Bucket="parts", Key="k.bin", UploadId=upload, MultipartUpload={"Parts": parts}
        )

    one = {"PartNumber": 1, "ETag": e1["ETag"]}
    two = {"PartNumber": 2, "ETag": e2["ETag"]}
    assert error_of(complete([one, two])) == (
        400,
        {
            "Code": "EntityTooSmall",
            "Message": "Your proposed upload is smaller than the minimum allowed size: part 1 "
            "has 1 bytes; every part but the last needs at least 5,242,880.",
        },
    )
    assert error_of(complete([two, one])) == (
        400,
        {
            "Code": "InvalidPartOrder",
            "Message": "The list of parts was not in ascending order. Parts must be ordered by "
            "part number.",
        },
    )
    assert error_of(complete([{"PartNumber": 1, "ETag": '"0000"'}])) == (
        400,
        {
            "Code": "InvalidPart",
            "Message": "One or more of the specified parts could not be found. The part may "
            "not have been uploaded, or the specified entity tag may not match the part's "
            "entity tag. (part 1)",
        },
    )
    done = s3.complete_multipart_upload(
        Bucket="parts", Key="k.bin", UploadId=upload, MultipartUpload={"Parts": [two]}
    )
    assert s3.get_object(Bucket="parts", Key="k.bin")["Body"].read() == b"b"
    assert done["ETag"] == s3.head_object(Bucket="parts", Key="k.bin")["ETag"]
    no_upload = {
        "Code": "NoSuchUpload",
        "Message": "The specified multipart upload does not exist. The upload ID may be "
        "invalid, or the upload may have been aborted or completed.",
    }
    assert error_of(complete([two])) == (404, no_upload)
    other = s3.create_multipart_upload(Bucket="parts", Key="k2.bin")["UploadId"]
    s3.abort_multipart_upload(Bucket="parts", Key="k2.bin", UploadId=other)
    assert error_of(
        lambda: s3.abort_multipart_upload(Bucket="parts", Key="k2.bin", UploadId=other)
    ) == (404, no_upload)


def test_copy_object(s3):
    s3.create_bucket(Bucket="copy-from")
    s3.create_bucket(Bucket="copy-to")
    s3.put_object(Bucket="copy-from", Key="raw/data.csv", Body=b"a,b\n1,2\n")
    out = s3.copy_object(
        Bucket="copy-to", Key="transformed/data.csv", CopySource="copy-from/raw/data.csv"
    )
    etag = '"' + hashlib.md5(b"a,b\n1,2\n").hexdigest() + '"'
    assert out["CopyObjectResult"]["ETag"] == etag
    got = s3.get_object(Bucket="copy-to", Key="transformed/data.csv")["Body"].read()
    assert got == b"a,b\n1,2\n"
    assert error_of(
        lambda: s3.copy_object(Bucket="copy-to", Key="x", CopySource="copy-from/missing.csv")
    ) == (
        404,
        {"Code": "NoSuchKey", "Message": "The specified key does not exist.", "Key": "missing.csv"},
    )
    assert error_of(
        lambda: s3.copy_object(
            Bucket="copy-from", Key="raw/data.csv", CopySource="copy-from/raw/data.csv"
        )
    ) == (
        400,
        {
            "Code": "InvalidRequest",
            "Message": "This copy request is illegal because it is trying to copy an object to "
            "itself without changing the object's metadata, storage class, website redirect "
            "location or encryption attributes.",
        },
    )


def test_big_copy_goes_by_parts(s3):
    s3.create_bucket(Bucket="big-copy")
    data = os.urandom(11 * MiB)
    s3.put_object(Bucket="big-copy", Key="src.bin", Body=data)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=5 * MiB)
    s3.copy({"Bucket": "big-copy", "Key": "src.bin"}, "big-copy", "dst.bin", Config=config)
    head = s3.head_object(Bucket="big-copy", Key="dst.bin")
    assert head["ETag"].endswith('-3"')  # UploadPartCopy, three ranges
    assert s3.get_object(Bucket="big-copy", Key="dst.bin")["Body"].read() == data
    upload = s3.create_multipart_upload(Bucket="big-copy", Key="part.bin")["UploadId"]
    assert error_of(
        lambda: s3.upload_part_copy(
            Bucket="big-copy",
            Key="part.bin",
            UploadId=upload,
            PartNumber=1,
            CopySource="big-copy/src.bin",
            CopySourceRange=f"bytes=0-{11 * MiB}",
        )
    ) == (
        400,
        {
            "Code": "InvalidArgument",
            "Message": f"Range specified is not valid for source object of size: {11 * MiB}",
            "ArgumentName": "x-amz-copy-source-range",
            "ArgumentValue": f"bytes=0-{11 * MiB}",
        },
    )


# -- one endpoint: S3, Personalize and the rest --------------------------------------------------


def test_data_put_through_s3_is_importable_at_once(served, s3):
    s3.create_bucket(Bucket="workshop-data")
    rows = ["USER_ID,ITEM_ID,TIMESTAMP"] + [
        f"u{u},i{(u * 7 + k) % 30},{1700000000 + u * 100 + k}" for u in range(50) for k in range(25)
    ]
    s3.put_object(Bucket="workshop-data", Key="in/interactions.csv", Body="\n".join(rows).encode())
    p = client(served, "personalize")
    group = p.create_dataset_group(name="s3-import")["datasetGroupArn"]
    schema = p.create_schema(name="s3-import", schema=INTERACTIONS)["schemaArn"]
    dataset = p.create_dataset(
        name="s3-import", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )["datasetArn"]
    from calls import wait_for

    wait_for(lambda: p.describe_dataset(datasetArn=dataset), "dataset")
    job = p.create_dataset_import_job(
        jobName="from-s3",
        datasetArn=dataset,
        dataSource={"dataLocation": "s3://workshop-data/in/interactions.csv"},
        roleArn="arn:aws:iam::000000000000:role/PersonalizeRole",
    )["datasetImportJobArn"]
    done = wait_for(
        lambda: p.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob"
    )
    assert done["status"] == "ACTIVE", done.get("failureReason")


@pytest.mark.slow
def test_batch_inference_output_is_read_back_through_s3(served, s3):
    from calls import wait_for
    from workshop_data import WORKSHOP

    s3.create_bucket(Bucket="batch-e2e")
    s3.put_object(
        Bucket="batch-e2e",
        Key="in/interactions.csv",
        Body=(WORKSHOP / "interactions.csv").read_bytes(),
    )
    s3.put_object(Bucket="batch-e2e", Key="in/users.json", Body=b'{"userId": "made-up"}\n')
    p = client(served, "personalize")
    role = "arn:aws:iam::000000000000:role/PersonalizeRole"
    group = p.create_dataset_group(name="batch-e2e")["datasetGroupArn"]
    schema = p.create_schema(name="batch-e2e", schema=(WORKSHOP / "interactions.avsc").read_text())[
        "schemaArn"
    ]
    dataset = p.create_dataset(
        name="batch-e2e", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )["datasetArn"]
    wait_for(lambda: p.describe_dataset(datasetArn=dataset), "dataset")
    job = p.create_dataset_import_job(
        jobName="batch-e2e",
        datasetArn=dataset,
        dataSource={"dataLocation": "s3://batch-e2e/in/interactions.csv"},
        roleArn=role,
    )["datasetImportJobArn"]
    imported = wait_for(
        lambda: p.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob"
    )
    assert imported["status"] == "ACTIVE", imported.get("failureReason")
    solution = p.create_solution(
        name="batch-e2e",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-popularity-count",
        performAutoTraining=False,
    )["solutionArn"]
    wait_for(lambda: p.describe_solution(solutionArn=solution), "solution")
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    trained = wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=version),
        "solutionVersion",
        timeout=300,
    )
    assert trained["status"] == "ACTIVE", trained.get("failureReason")
    batch = p.create_batch_inference_job(
        jobName="batch-e2e",
        solutionVersionArn=version,
        jobInput={"s3DataSource": {"path": "s3://batch-e2e/in/users.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://batch-e2e/out/"}},
        roleArn=role,
        numResults=3,
    )["batchInferenceJobArn"]
    done = wait_for(
        lambda: p.describe_batch_inference_job(batchInferenceJobArn=batch),
        "batchInferenceJob",
        timeout=300,
    )
    assert done["status"] == "ACTIVE", done.get("failureReason")
    listed = s3.list_objects_v2(Bucket="batch-e2e", Prefix="out/")["Contents"]
    assert [o["Key"] for o in listed] == ["out/users.json.out"]
    out = s3.get_object(Bucket="batch-e2e", Key="out/users.json.out")["Body"].read()
    line = json.loads(out.decode().splitlines()[0])
    assert (line["input"], line["error"], len(line["output"]["recommendedItems"])) == (
        {"userId": "made-up"},
        None,
        3,
    )


def test_get_root_is_list_buckets_not_a_health_page(served):
    status, headers, body = raw(served.url, "GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "application/xml"
    assert b"<ListAllMyBucketsResult" in body and b"<Buckets>" in body
    status, headers, body = raw(served.url, "GET", "/health")
    assert status == 404
    assert b"<Code>NoSuchBucket</Code>" in body


def test_virtual_hosted_style(served, s3):
    s3.create_bucket(Bucket="vhost")
    port = served.port
    status, _, _ = raw(
        served.url,
        "PUT",
        "/k.txt",
        {"Host": f"vhost.localhost:{port}", "Content-Length": "2"},
        b"hi",
    )
    assert status == 200
    assert s3.get_object(Bucket="vhost", Key="k.txt")["Body"].read() == b"hi"
    status, _, body = raw(served.url, "GET", "/?list-type=2", {"Host": f"vhost.localhost:{port}"})
    assert status == 200 and b"<Key>k.txt</Key>" in body


@pytest.mark.parametrize(
    "method,path,status,code,message",
    [
        (
            "PATCH",
            "/",
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource: PATCH /",
        ),
        (
            "GET",
            "/objects?tagging",
            501,
            "NotImplemented",
            "The local target's S3 does not implement GET /objects?tagging. It serves buckets, "
            "PutObject, GetObject, HeadObject, CopyObject, DeleteObject(s), ListObjects(V2) "
            "and multipart uploads.",
        ),
        (
            "POST",
            "/nowhere",
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource: POST /nowhere",
        ),
    ],
)
def test_unknown_requests_get_s3_errors(served, method, path, status, code, message):
    got, headers, body = raw(served.url, method, path)
    assert got == status
    assert headers["Content-Type"] == "application/xml"
    assert f"<Code>{code}</Code><Message>{message}</Message>".encode() in body
    assert b"<html" not in body.lower()


def test_a_malformed_request_gets_xml_not_html(served):
    import socket

    with socket.create_connection(("127.0.0.1", served.port), timeout=60) as s:
        s.sendall(b"NONSENSE\r\n\r\n")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b"<Code>BadRequest</Code>" in reply
    assert b"<html" not in reply.lower()


def test_personalize_events_answers_on_the_same_endpoint(served):
    events = client(served, "personalize-events")
    status, error = error_of(
        lambda: events.put_events(
            trackingId="t",
            sessionId="s",
            eventList=[{"eventType": "click", "sentAt": 1700000000}],
        )
    )
    assert (status, error) == (
        400,
        {
            "Code": "InvalidInputException",
            "Message": "No event tracker has trackingId t; use the trackingId that "
            "CreateEventTracker (or DescribeEventTracker) returned.",
        },
    )


def test_personalize_still_answers_on_the_same_endpoint(served, s3):
    p = client(served, "personalize")
    r = client(served, "personalize-runtime")
    assert "datasetGroups" in p.list_dataset_groups()
    status, error = error_of(
        lambda: r.get_recommendations(
            campaignArn="arn:aws:personalize:us-east-1:000000000000:campaign/none", userId="u"
        )
    )
    assert (status, error["Code"]) == (404, "ResourceNotFoundException")


def test_s3_elsewhere_is_said(tmp_path):
    server = start_serve(tmp_path / "state", "--s3-endpoint-url", "http://127.0.0.1:9")
    try:
        status, headers, body = raw(server.url, "GET", "/")
    finally:
        err = server.stop()
    assert "import jobs read s3:// data through http://127.0.0.1:9, which answers S3; this " in err
    assert status == 501
    assert (
        b"<Code>NotImplemented</Code><Message>This endpoint does not answer S3: preconcile local "
        b"serve was started with --s3-endpoint-url http://127.0.0.1:9, where import jobs read "
        b"s3:// data; send S3 requests there.</Message>"
    ) in body


def test_injected_faults_reach_s3_too(tmp_path):
    server = start_serve(tmp_path / "state", "--faults", "throttle=1")
    try:
        status, _, body = raw(server.url, "GET", "/")
    finally:
        server.stop()
    assert status == 503
    assert (
        b"<Code>SlowDown</Code><Message>Please reduce your request rate. (a fault injected by "
        b"--faults)</Message>"
    ) in body


def test_a_dropped_answer_still_did_the_work(tmp_path):
    import socket

    server = start_serve(tmp_path / "state", "--faults", "drop=1")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
            s.sendall(b"PUT /dropped HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            reply = s.recv(65536)
    finally:
        server.stop()
    assert reply == b""  # the connection closed without an answer...
    assert (tmp_path / "state" / "s3" / "dropped").is_dir()  # ...but the bucket was made


# -- the AWS CLI ------------------------------------------------------------------------------


def _aws_cli() -> str | None:
    path = shutil.which("aws")
    if path is None:
        return None
    try:
        ok = subprocess.run([path, "--version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if ok else None


@pytest.mark.skipif(_aws_cli() is None, reason="the AWS CLI is not installed")
def test_aws_cli_s3_cp_ls_rm(served, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(ENV)

    def aws(*args: str) -> str:
        done = subprocess.run(
            [_aws_cli(), "--endpoint-url", served.url, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    small = tmp_path / "data.csv"
    small.write_text("USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * MiB))  # over the CLI's 8 MB threshold: multipart
    aws("s3", "mb", "s3://cli-bucket")
    aws("s3", "cp", str(small), "s3://cli-bucket/in/data.csv")
    aws("s3", "cp", str(big), "s3://cli-bucket/in/big.bin")
    top = aws("s3", "ls", "s3://cli-bucket/")
    assert top.split() == ["PRE", "in/"]
    inner = aws("s3", "ls", "s3://cli-bucket/in/")
    assert [line.split()[-2:] for line in inner.splitlines()] == [
        [str(9 * MiB), "big.bin"],
        [str(small.stat().st_size), "data.csv"],
    ]
    assert "cli-bucket" in aws("s3", "ls")
    back = tmp_path / "back.bin"
    aws("s3", "cp", "s3://cli-bucket/in/big.bin", str(back))
    assert back.read_bytes() == big.read_bytes()
    aws("s3", "cp", "s3://cli-bucket/in/big.bin", "s3://cli-bucket/copy/big.bin")  # by parts
    aws("s3", "mv", "s3://cli-bucket/in/data.csv", "s3://cli-bucket/copy/data.csv")
    moved = aws("s3", "ls", "s3://cli-bucket/copy/")
    assert [line.split()[-1] for line in moved.splitlines()] == ["big.bin", "data.csv"]
    aws("s3", "cp", "s3://cli-bucket/copy/big.bin", str(back))
    assert back.read_bytes() == big.read_bytes()
    listed = json.loads(aws("personalize", "list-dataset-groups"))
    assert "datasetGroups" in listed
    aws("s3", "rm", "s3://cli-bucket/copy/data.csv")
    aws("s3", "rm", "--recursive", "s3://cli-bucket/")
    assert aws("s3", "ls", "s3://cli-bucket/") == ""
    aws("s3", "rb", "s3://cli-bucket")
    assert "cli-bucket" not in aws("s3", "ls")


def test_urllib_never_sees_html(served):
    req = urllib.request.Request(served.url + "/no-such-bucket/key", method="GET")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=60)
    assert info.value.code == 404
    assert info.value.headers["Content-Type"] == "application/xml"


@pytest.mark.parametrize(
    "headers,code,message",
    [
        (
            {"x-amz-checksum-crc32": "AAAAAA=="},
            "BadDigest",
            "The CRC32 you specified did not match the calculated checksum.",
        ),
        (
            {"x-amz-content-sha256": "0" * 64},
            "XAmzContentSHA256Mismatch",
            "The x-amz-content-sha256 you specified did not match what was received.",
        ),
    ],
)
def test_wrong_checksums_keep_nothing(served, s3, headers, code, message):
    s3.create_bucket(Bucket=f"sum-{code.lower()}")
    path = f"/sum-{code.lower()}/k.txt"
    status, _, reply = raw(served.url, "PUT", path, {**headers, "Content-Length": "3"}, b"abc")
    assert status == 400
    assert f"<Code>{code}</Code><Message>{message}</Message>".encode() in reply
    assert raw(served.url, "HEAD", path)[0] == 404


def test_if_none_match_answers_not_modified(s3):
    s3.create_bucket(Bucket="cond")
    etag = s3.put_object(Bucket="cond", Key="k", Body=b"x")["ETag"]
    assert error_of(lambda: s3.get_object(Bucket="cond", Key="k", IfNoneMatch=etag)) == (
        304,
        {"Code": "304", "Message": "Not Modified"},
    )


@pytest.mark.parametrize(
    "headers,status,code,message",
    [
        (
            {"Transfer-Encoding": "chunked"},
            411,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header (chunked transfer encoding is "
            "not accepted).",
        ),
        (
            {"Content-Length": "6000000000"},
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size: 6,000,000,000 bytes; a "
            "single PutObject or UploadPart takes at most 5,368,709,120.",
        ),
    ],
)
def test_bodies_refused_unread(served, s3, headers, status, code, message):
    bucket = f"unread-{status}"
    s3.create_bucket(Bucket=bucket)
    got, _, reply = raw(served.url, "PUT", f"/{bucket}/k", headers)
    assert got == status
    assert f"<Code>{code}</Code><Message>{message}</Message>".encode() in reply


def test_help_says_which_server_answers_s3(cli):
    result = cli("local", "serve", "--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert (
        "One endpoint answers personalize, personalize-runtime, personalize-events and S3" in text
    )
    assert "that endpoint then answers S3 and this server refuses S3 requests" in text
    assert "Without it, this server answers S3 itself over the state dir's object store" in text


@pytest.mark.skipif(_aws_cli() is None, reason="the AWS CLI is not installed")
def test_aws_cli_s3_cp_then_personalize_import_on_one_endpoint(served, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(ENV)

    def aws(*args: str) -> dict | str:
        done = subprocess.run(
            [_aws_cli(), "--endpoint-url", served.url, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.startswith("{") else done.stdout

    data = tmp_path / "interactions.csv"
    rows = ["USER_ID,ITEM_ID,TIMESTAMP"] + [
        f"u{u},i{(u * 3 + k) % 40},{1700000000 + u * 100 + k}" for u in range(50) for k in range(25)
    ]
    data.write_text("\n".join(rows) + "\n")
    aws("s3", "mb", "s3://cli-import")
    aws("s3", "cp", str(data), "s3://cli-import/interactions.csv")
    group = aws("personalize", "create-dataset-group", "--name", "cli-import")["datasetGroupArn"]
    schema = aws("personalize", "create-schema", "--name", "cli-import", "--schema", INTERACTIONS)
    dataset = aws(
        "personalize",
        "create-dataset",
        "--name",
        "cli-import",
        "--dataset-group-arn",
        group,
        "--dataset-type",
        "Interactions",
        "--schema-arn",
        schema["schemaArn"],
    )["datasetArn"]
    job = aws(
        "personalize",
        "create-dataset-import-job",
        "--job-name",
        "cli-import",
        "--dataset-arn",
        dataset,
        "--data-source",
        "dataLocation=s3://cli-import/interactions.csv",
        "--role-arn",
        "arn:aws:iam::000000000000:role/PersonalizeRole",
    )["datasetImportJobArn"]
    from calls import wait_for

    p = client(served, "personalize")
    done = wait_for(
        lambda: p.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob"
    )
    assert done["status"] == "ACTIVE", done.get("failureReason")


def test_a_body_cut_short_keeps_nothing(served, s3):
    import socket

    s3.create_bucket(Bucket="cut-short")
    with socket.create_connection(("127.0.0.1", served.port), timeout=60) as s:
        s.sendall(b"PUT /cut-short/k.csv HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        s.shutdown(socket.SHUT_WR)  # the client goes away after 3 of 100 bytes
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert (
        b"<Code>IncompleteBody</Code><Message>You did not provide the number of bytes "
        b"specified by the Content-Length HTTP header.</Message>"
    ) in reply
    assert error_of(lambda: s3.head_object(Bucket="cut-short", Key="k.csv"))[0] == 404
    assert os.listdir(served_state(served) / "s3" / ".tmp") == []


def served_state(served) -> Path:
    """The state dir ``local serve`` said it uses."""
    line = next(x for x in served.lines if "listening on" in x)
    return Path(line.split("(state dir ", 1)[1].split(",", 1)[0])


def test_an_object_store_put_with_another_content_md5_is_refused(s3, tmp_path):
    """S3ObjectStore sends ``content_md5`` as Content-MD5; local serve's S3, like S3,
    answers BadDigest, which the store raises as ContentChangedError."""
    import hashlib

    from personalize_reconcile.local.objectstore import ContentChangedError, S3ObjectStore

    s3.create_bucket(Bucket="digest")
    store = S3ObjectStore(s3)
    src = tmp_path / "data.csv"
    src.write_bytes(b"a,b\n" * 10)
    store.put("s3://digest/data.csv", src, content_md5=hashlib.md5(src.read_bytes()).hexdigest())
    with pytest.raises(ContentChangedError):
        store.put("s3://digest/data.csv", src, content_md5=hashlib.md5(b"other").hexdigest())
    assert s3.get_object(Bucket="digest", Key="data.csv")["Body"].read() == b"a,b\n" * 10
