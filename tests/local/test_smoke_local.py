"""Smoke test of the shared fixtures: a dataset group round trip through boto3."""


def test_dataset_group_round_trip(personalize, wait, wait_gone):
    arn = personalize.create_dataset_group(name="smoke")["datasetGroupArn"]
    group = wait(lambda: personalize.describe_dataset_group(datasetGroupArn=arn), "datasetGroup")
    assert group["status"] == "ACTIVE"
    personalize.delete_dataset_group(datasetGroupArn=arn)
    wait_gone(lambda: personalize.describe_dataset_group(datasetGroupArn=arn))
