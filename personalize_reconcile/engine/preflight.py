"""Preflight on ``--target aws``: can Personalize read the data the manifest imports?

One job: before apply writes anything (and in ``preconcile preflight``), check with IAM
and S3 read calls what an import job needs and otherwise reports only hours later as
``CREATE FAILED`` (reference §5, "IAM and S3"):

- the role each import passes (``roleArn``) exists and its trust policy lets the service
  principal ``personalize.amazonaws.com`` call ``sts:AssumeRole`` (iam:GetRole);
- the role's permissions allow ``s3:GetObject`` on the data and ``s3:ListBucket`` on its
  bucket: its attached and inline policies are read (iam:ListAttachedRolePolicies,
  iam:GetPolicy, iam:GetPolicyVersion, iam:ListRolePolicies, iam:GetRolePolicy) and
  evaluated here (Allow statements whose Action and Resource match, with ``*`` and ``?``
  wildcards; an explicit Deny wins; Conditions are not evaluated and count as matching).
  iam:SimulatePrincipalPolicy is not used: moto, which the tests run against, does not
  answer it, and it evaluates the same identity policies;
- the bucket's policy lets ``personalize.amazonaws.com`` do the same two actions
  (s3:GetBucketPolicy).

The manifest declares no output locations yet (batch and export jobs), so no
``s3:PutObject`` check is made. Each failure names the role or bucket and carries the
JSON to add (the policies of docs/aws.md, sections 2 and 3). A call the credentials may
not make (AccessDenied), or that cannot reach the service, is reported as not checked,
never as a failure.

Callers: ``cli.py`` (``preflight``, and ``apply`` on ``--target aws`` before its first
write).
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from personalize_reconcile.engine.plan import CREATE, Plan
from personalize_reconcile.resources import Desired

SERVICE = "personalize.amazonaws.com"
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


@dataclass(frozen=True)
class Access:
    """What one import needs: its manifest address, the role it passes (or ``None``) and
    its ``s3://bucket/key`` data location."""

    address: str
    role_arn: str | None
    data_location: str

    @property
    def bucket(self) -> str:
        """The bucket of the data location."""
        return self.data_location[len("s3://") :].split("/", 1)[0]

    @property
    def key(self) -> str:
        """The key (or prefix) of the data location."""
        parts = self.data_location[len("s3://") :].split("/", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclass
class Report:
    """What preflight found.

    Attributes:
        failures: one block per problem: what is wrong with which role or bucket, then
            the JSON to add, indented.
        unchecked: one sentence per check the credentials may not make (or that could
            not reach the service).
        passed: one sentence per role or bucket found right.
    """

    failures: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)


def accesses(desired: dict[str, Desired], plan: Plan | None = None) -> list[Access]:
    """The imports to check: every declared import with an ``s3://`` data location, or,
    given ``plan``, those it creates (what apply is about to start)."""
    creating = None if plan is None else {c.address for c in plan.changes if c.action == CREATE}
    out = []
    for address, d in desired.items():
        if d.kind != "import" or (creating is not None and address not in creating):
            continue
        location = d.fields.get("dataLocation") or ""
        if location.startswith("s3://"):
            out.append(Access(address, d.fields.get("roleArn"), location))
    return out


def check(iam: Any, s3: Any, needed: list[Access]) -> Report:
    """Run the checks of the module docstring for ``needed`` with the boto3 clients
    ``iam`` and ``s3``; each role and each bucket is read once.

    Raises nothing for a refused or failed call: it becomes a line of
    :attr:`Report.unchecked`.
    """
    report = Report()
    roles: dict[str, list[Access]] = {}
    buckets: dict[str, list[Access]] = {}
    for a in needed:
        if a.role_arn:
            roles.setdefault(a.role_arn, []).append(a)
        buckets.setdefault(a.bucket, []).append(a)
    for arn, uses in roles.items():
        _check_role(iam, arn, uses, report)
    for bucket, uses in buckets.items():
        _check_bucket(s3, bucket, uses, report)
    return report


def role_policy(bucket: str) -> dict[str, Any]:
    """The permissions policy the role needs to read ``bucket`` (docs/aws.md §2)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def bucket_policy(bucket: str) -> dict[str, Any]:
    """The bucket policy that lets Personalize read ``bucket`` (docs/aws.md §3)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PersonalizeS3BucketAccessPolicy",
                "Effect": "Allow",
                "Principal": {"Service": SERVICE},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


TRUST_STATEMENT = {
    "Effect": "Allow",
    "Principal": {"Service": SERVICE},
    "Action": "sts:AssumeRole",
}
"""The trust-policy statement that lets Personalize assume a role (docs/aws.md §2)."""


def _snippet(doc: Any) -> str:
    return "\n".join("    " + line for line in json.dumps(doc, indent=2).splitlines())


def _users(uses: list[Access]) -> str:
    names = sorted({u.address for u in uses})
    return ("imports " if len(names) > 1 else "import ") + ", ".join(
        n.split(".", 1)[1] for n in names
    )


def _check_role(iam: Any, arn: str, uses: list[Access], report: Report) -> None:
    name = arn.rsplit("/", 1)[-1]
    who = f"role {name} ({arn}), which {_users(uses)} passes to Personalize"
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except (ClientError, BotoCoreError) as e:
        if _code(e) == "NoSuchEntity":
            report.failures.append(
                f"{who}: it does not exist. Create it with this trust policy:\n"
                + _snippet({"Version": "2012-10-17", "Statement": [TRUST_STATEMENT]})
                + "\n  and this permissions policy:\n"
                + _snippet(role_policy(uses[0].bucket))
            )
        else:
            report.unchecked.append(_unchecked(f"role {name}", "iam:GetRole", e))
        return
    trust = _statements(role.get("AssumeRolePolicyDocument"))
    if not _allows(trust, "sts:AssumeRole", None, principal=SERVICE):
        report.failures.append(
            f"{who}: its trust policy does not let {SERVICE} assume it. Add this statement "
            "to its trust policy:\n" + _snippet(TRUST_STATEMENT)
        )
    try:
        statements = _role_statements(iam, name)
    except (ClientError, BotoCoreError) as e:
        report.unchecked.append(
            _unchecked(f"the permissions of role {name}", "reading its policies", e)
        )
        return
    for bucket in sorted({u.bucket for u in uses}):
        missing = [
            action
            for u in uses
            if u.bucket == bucket
            for action, resource in _needs(u)
            if not _allows(statements, action, resource)
        ]
        missing = sorted(set(missing))
        if missing:
            report.failures.append(
                f"{who}: its policies do not allow {' and '.join(missing)} on bucket "
                f"{bucket}. Attach this policy to the role:\n" + _snippet(role_policy(bucket))
            )
    if not any(f.startswith(who) for f in report.failures):
        report.passed.append(
            f"role {name} trusts {SERVICE} and may read "
            + ", ".join(sorted({u.data_location for u in uses}))
        )


def _check_bucket(s3: Any, bucket: str, uses: list[Access], report: Report) -> None:
    who = f"bucket {bucket}, which {_users(uses)} reads"
    try:
        text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except (ClientError, BotoCoreError) as e:
        code = _code(e)
        if code == "NoSuchBucketPolicy":
            report.failures.append(
                f"{who}: it has no bucket policy, and Personalize needs one that lets "
                f"{SERVICE} in. Put this policy on it:\n" + _snippet(bucket_policy(bucket))
            )
        elif code == "NoSuchBucket":
            report.failures.append(
                f"{who}: it does not exist. Create it, then put this policy on it:\n"
                + _snippet(bucket_policy(bucket))
            )
        else:
            report.unchecked.append(_unchecked(f"bucket {bucket}", "s3:GetBucketPolicy", e))
        return
    statements = _statements(text)
    missing = sorted(
        {
            action
            for u in uses
            for action, resource in _needs(u)
            if not _allows(statements, action, resource, principal=SERVICE)
        }
    )
    if missing:
        report.failures.append(
            f"{who}: its policy does not let {SERVICE} {' and '.join(missing)}. Add this "
            "statement to the bucket policy:\n" + _snippet(bucket_policy(bucket)["Statement"][0])
        )
    else:
        report.passed.append(f"bucket {bucket}'s policy lets {SERVICE} read it")


def _needs(a: Access) -> list[tuple[str, str]]:
    return [
        ("s3:GetObject", f"arn:aws:s3:::{a.bucket}/{a.key}"),
        ("s3:ListBucket", f"arn:aws:s3:::{a.bucket}"),
    ]


def _role_statements(iam: Any, name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for attached in page.get("AttachedPolicies", []):
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(
                PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
            )["PolicyVersion"]
            out += _statements(version.get("Document"))
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page.get("PolicyNames", []):
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            out += _statements(doc)
    return out


def _statements(doc: Any) -> list[dict[str, Any]]:
    """The statements of a policy document given as data, JSON text or URL-encoded JSON
    text (IAM returns that)."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            try:
                doc = json.loads(urllib.parse.unquote(doc))
            except ValueError:
                return []
    if not isinstance(doc, dict):
        return []
    statements = doc.get("Statement", [])
    return [s for s in _list(statements) if isinstance(s, dict)]


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _match(patterns: Any, value: str, *, fold: bool = False) -> bool:
    for p in _list(patterns):
        if not isinstance(p, str):
            continue
        if fold:
            if fnmatch.fnmatchcase(value.lower(), p.lower()):
                return True
        elif fnmatch.fnmatchcase(value, p):
            return True
    return False


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return _match(principal.get("Service"), service) or principal.get("AWS") == "*"


def _applies(s: dict[str, Any], action: str, resource: str | None, principal: str | None) -> bool:
    if "Action" in s and not _match(s["Action"], action, fold=True):
        return False
    if "NotAction" in s and _match(s["NotAction"], action, fold=True):
        return False
    if resource is not None:
        if "Resource" in s and not _match(s["Resource"], resource):
            return False
        if "NotResource" in s and _match(s["NotResource"], resource):
            return False
    return principal is None or _principal_matches(s.get("Principal"), principal)


def _allows(
    statements: list[dict[str, Any]],
    action: str,
    resource: str | None,
    principal: str | None = None,
) -> bool:
    """Whether ``statements`` allow ``action`` on ``resource`` (for ``principal``, in a
    resource or trust policy), with no explicit Deny."""
    allowed = False
    for s in statements:
        if not _applies(s, action, resource, principal):
            continue
        if s.get("Effect") == "Deny":
            return False
        if s.get("Effect") == "Allow":
            allowed = True
    return allowed


def _code(e: BaseException) -> str | None:
    if isinstance(e, ClientError):
        return e.response.get("Error", {}).get("Code")
    return None


def _unchecked(what: str, call: str, e: BaseException) -> str:
    code = _code(e)
    if code in DENIED:
        why = f"{call} was refused to these credentials ({code})"
    elif code:
        why = f"{call} answered {code}"
    else:
        why = f"{call} failed: {e}"
    return (
        f"could not check {what}: {why}; if it is wrong, the import job fails with the "
        "service's reason"
    )
