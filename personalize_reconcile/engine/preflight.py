"""Preflight on ``--target aws``: can Personalize read the data the manifest imports and
write where its jobs put their output?

One job: before apply writes anything (and in ``preconcile preflight``), check with IAM
and S3 read calls what an import job needs and otherwise reports only hours later as
``CREATE FAILED`` (reference §5, "IAM and S3"):

- the role each import, batch job and metric attribution passes (``roleArn``) exists and
  its trust policy lets the service principal ``personalize.amazonaws.com`` call
  ``sts:AssumeRole`` (iam:GetRole);
- the role's permissions allow ``s3:GetObject`` on the data and ``s3:ListBucket`` on its
  bucket, and ``s3:PutObject`` on an output location (a batch job's ``jobOutput``, a
  metric attribution's ``s3DataDestination``): its attached and inline policies are read
  (iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion,
  iam:ListRolePolicies, iam:GetRolePolicy) and evaluated here (Allow statements whose
  Action and Resource match, with ``*`` and ``?`` wildcards; an explicit Deny wins;
  Conditions are not evaluated and count as matching).
  iam:SimulatePrincipalPolicy is not used: moto, which the tests run against, does not
  answer it, and it evaluates the same identity policies;
- the bucket's policy lets ``personalize.amazonaws.com`` do the same actions
  (s3:GetBucketPolicy).

Each failure names the role or bucket and carries the
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

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as Unreachable

from personalize_reconcile.engine.plan import CREATE, UPDATE, Plan
from personalize_reconcile.resources import Desired
from personalize_reconcile.rules.problems import clipped

SERVICE = "personalize.amazonaws.com"
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


@dataclass(frozen=True)
class Access:
    """What one import or job needs: its manifest address, the role it passes (or
    ``None``), an ``s3://bucket/key`` location and whether the service writes there (an
    output location) rather than reads it."""

    address: str
    role_arn: str | None
    data_location: str
    writes: bool = False

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


BATCH_KINDS = ("batch_inference_job", "batch_segment_job")


def accesses(desired: dict[str, Desired], plan: Plan | None = None) -> list[Access]:
    """The locations to check: every declared import's data, batch job's input and output
    and metric attribution's output in ``s3://``, or, given ``plan``, only those of what
    it creates or changes (what apply is about to start)."""
    changing = (
        None
        if plan is None
        else {c.address for c in plan.changes if c.action in (CREATE, UPDATE, "replace")}
    )
    out = []
    for address, d in desired.items():
        if changing is not None and address not in changing:
            continue
        f = d.fields
        if d.kind == "import":
            wanted = [(f.get("roleArn"), f.get("dataLocation"), False)]
        elif d.kind in BATCH_KINDS:
            wanted = [
                (f.get("roleArn"), f.get("jobInput"), False),
                (f.get("roleArn"), f.get("jobOutput"), True),
            ]
        elif d.kind == "metric_attribution":
            output = f.get("metricsOutputConfig") or {}
            path = (output.get("s3DataDestination") or {}).get("path")
            wanted = [(output.get("roleArn"), path, True)]
        else:
            continue
        for role, location, writes in wanted:
            if isinstance(location, str) and location.startswith("s3://"):
                out.append(Access(address, role, location, writes))
    return out


def check(iam: Any, s3: Any, needed: list[Access]) -> Report:
    """Run the checks of the module docstring for ``needed`` with the boto3 clients
    ``iam`` and ``s3``; each role and each bucket is read once.

    A refused or failed call becomes a line of :attr:`Report.unchecked`.

    Raises:
        botocore.exceptions.NoCredentialsError: there are no credentials to check with.
        botocore.exceptions.ConnectionError (EndpointConnectionError...): IAM or S3
            cannot be reached. Either way nothing could be checked.
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


def _actions(writes: bool) -> list[str]:
    return (
        ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
        if writes
        else [
            "s3:GetObject",
            "s3:ListBucket",
        ]
    )


def role_policy(bucket: str, writes: bool = False) -> dict[str, Any]:
    """The permissions policy the role needs to read ``bucket`` (and write to it, with
    ``writes``) (docs/aws.md §2)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": _actions(writes),
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def bucket_policy(bucket: str, writes: bool = False) -> dict[str, Any]:
    """The bucket policy that lets Personalize read ``bucket`` (and write to it, with
    ``writes``) (docs/aws.md §3)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PersonalizeS3BucketAccessPolicy",
                "Effect": "Allow",
                "Principal": {"Service": SERVICE},
                "Action": _actions(writes),
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
    """``import a``, ``imports a, b``, ``import a and batch inference job n``..."""
    by_kind: dict[str, list[str]] = {}
    for address in sorted({u.address for u in uses}):
        kind, name = address.split(".", 1)
        by_kind.setdefault(kind.replace("_", " "), []).append(name)
    return " and ".join(
        f"{kind}{'s' if len(names) > 1 else ''} {', '.join(names)}"
        for kind, names in by_kind.items()
    )


def _writes(uses: list[Access], bucket: str | None = None) -> bool:
    return any(u.writes for u in uses if bucket is None or u.bucket == bucket)


def _check_role(iam: Any, arn: str, uses: list[Access], report: Report) -> None:
    name = arn.rsplit("/", 1)[-1]
    who = f"role {name} ({arn}), which {_users(uses)} passes to Personalize"
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except (ClientError, BotoCoreError) as e:
        _raise_if_nothing_can_be_checked(e)
        if _code(e) == "NoSuchEntity":
            report.failures.append(
                f"{who}: it does not exist. Create it with this trust policy:\n"
                + _snippet({"Version": "2012-10-17", "Statement": [TRUST_STATEMENT]})
                + "\n  and this permissions policy:\n"
                + _snippet(role_policy(uses[0].bucket, _writes(uses, uses[0].bucket)))
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
        _raise_if_nothing_can_be_checked(e)
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
                f"{bucket}. Attach this policy to the role:\n"
                + _snippet(role_policy(bucket, _writes(uses, bucket)))
            )
    if not any(f.startswith(who) for f in report.failures):
        reads = sorted({u.data_location for u in uses if not u.writes})
        writes = sorted({u.data_location for u in uses if u.writes})
        may = ([f"read {', '.join(reads)}"] if reads else []) + (
            [f"write to {', '.join(writes)}"] if writes else []
        )
        report.passed.append(f"role {name} trusts {SERVICE} and may " + " and ".join(may))


def _check_bucket(s3: Any, bucket: str, uses: list[Access], report: Report) -> None:
    verb = (
        "reads and writes to"
        if _writes(uses) and not all(u.writes for u in uses)
        else ("writes to" if _writes(uses) else "reads")
    )
    who = f"bucket {bucket}, which {_users(uses)} {verb}"
    writes = _writes(uses)
    try:
        text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except (ClientError, BotoCoreError) as e:
        _raise_if_nothing_can_be_checked(e)
        code = _code(e)
        if code == "NoSuchBucketPolicy":
            report.failures.append(
                f"{who}: it has no bucket policy, and Personalize needs one that lets "
                f"{SERVICE} in. Put this policy on it:\n" + _snippet(bucket_policy(bucket, writes))
            )
        elif code == "NoSuchBucket":
            report.failures.append(
                f"{who}: it does not exist. Create it, then put this policy on it:\n"
                + _snippet(bucket_policy(bucket, writes))
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
            "statement to the bucket policy:\n"
            + _snippet(bucket_policy(bucket, writes)["Statement"][0])
        )
    else:
        what = (
            "read and write to it"
            if writes and verb != "writes to"
            else ("write to it" if writes else "read it")
        )
        report.passed.append(f"bucket {bucket}'s policy lets {SERVICE} {what}")


def _needs(a: Access) -> list[tuple[str, str]]:
    if a.writes:
        return [("s3:PutObject", f"arn:aws:s3:::{a.bucket}/{a.key}")]
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


def _raise_if_nothing_can_be_checked(e: BaseException) -> None:
    """Raise ``e`` again when it means no check can be made at all (no credentials, or no
    connection to the endpoint), rather than one check these credentials may not make:
    a preflight that checked nothing must not pass."""
    if isinstance(e, (NoCredentialsError, Unreachable)):
        raise e


def _unchecked(what: str, call: str, e: BaseException) -> str:
    code = _code(e)
    if code in DENIED:
        why = f"{call} was refused to these credentials ({code})"
    elif code:
        message = e.response.get("Error", {}).get("Message") if isinstance(e, ClientError) else None
        shown = clipped(message.rstrip(". "), 300) if message else ""
        why = f"{call} answered {code}" + (f": {shown}" if shown else "")
    else:
        why = f"{call} failed: {e}"
    return (
        f"could not check {what}: {why}; if it is wrong, the import job fails with the "
        "service's reason"
    )
