"""The ``preconcile`` command line: the only module that prints or chooses exit codes.

Exit codes (design §5): 0 success, 1 error (invalid input included), 2 changes present
(only with ``--detailed-exitcode``). Usage errors exit 1 too, so a gate that reads 2 as
"changes" is never fooled by a typo.

Callers: the ``preconcile`` console script through ``entry.py``.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from personalize_reconcile.cli_local import local_app, state_dir_value

if TYPE_CHECKING:
    # The manifest package brings pydantic, ruamel.yaml and botocore's service models:
    # imported by the commands that read a manifest, not by `--help` or `local serve`.
    from personalize_reconcile.manifest import LoadedManifest

app = typer.Typer(
    name="preconcile",
    help="GitOps for Amazon Personalize: validate, plan and apply a YAML manifest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(local_app, name="local")

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

_state = {"debug": False, "changes_exit": False}

ManifestArg = Annotated[
    Path, typer.Argument(help="The manifest file (YAML).", metavar="FILE", show_default=False)
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        metavar="NAME=VALUE",
        help="Set a variable: name=value (repeatable); overrides the manifest's variables.",
        show_default=False,
    ),
]


class UserError(Exception):
    """A problem in what the user gave us: printed as one paragraph, exit 1."""


def _print_version(value: bool) -> None:
    if value:
        from personalize_reconcile import __version__

        out.print(f"preconcile {__version__}", markup=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    _state["debug"] = debug
    import logging

    # The embedded target logs its housekeeping (jobs resumed after a crash, ...); users
    # see it with --debug (and in `local serve`'s log), not mixed into command output.
    logging.getLogger("personalize_reconcile").addHandler(logging.NullHandler())
    # Waits a user should know about (a lock another process holds on the local state):
    # printed on standard error as they happen.
    waits = logging.getLogger("personalize_reconcile.wait")
    for old in list(waits.handlers):
        waits.removeHandler(old)
    notice = logging.StreamHandler(sys.stderr)
    notice.setFormatter(logging.Formatter("%(message)s"))
    waits.addHandler(notice)
    waits.setLevel(logging.WARNING)
    waits.propagate = False
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.INFO)


def _vars(values: list[str] | None) -> dict[str, str]:
    from personalize_reconcile.manifest import parse_var

    result = {}
    for v in values or []:
        try:
            name, value = parse_var(v)
        except ValueError as e:
            raise UserError(f"{e}; for example --var bucket=my-bucket") from None
        result[name] = value
    return result


@app.command()
def validate(
    file: ManifestArg,
    var: VarOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print diagnostics as JSON.")] = False,
    data: Annotated[
        bool,
        typer.Option(
            "--data",
            help="Also read every uploadFrom file with its import job's rules (header, types, "
            "epoch seconds, at least 1000 interaction records), as plan does for the data it "
            "would import.",
        ),
    ] = False,
) -> None:
    """Check a manifest without calling any API. Exit 0 when valid, 1 when not."""
    from personalize_reconcile.manifest import ManifestError, load_manifest

    try:
        loaded = load_manifest(file, _vars(var), read_data=data)
    except ManifestError as e:
        if as_json:
            out.print_json(
                json.dumps(
                    {
                        "valid": False,
                        "error_count": len(e.diagnostics),
                        "diagnostics": [d.to_json() for d in e.diagnostics],
                    }
                )
            )
        else:
            _print_problems(e.diagnostics)
            n = len(e.diagnostics)
            err.print(f"\n{n:,} problem{'s' if n != 1 else ''} found in {file}.", markup=False)
        raise typer.Exit(1) from None
    m = loaded.manifest
    datasets = m.datasets.by_type()
    counts = {
        "schemas": len(m.schemas),
        "datasets": len(datasets),
        "imports": sum(len(d.imports) for d in datasets.values()),
        "solutions": len(m.solutions),
        "campaigns": len(m.campaigns),
        "filters": len(m.filters),
        "eventTrackers": int(m.event_tracker is not None),
    }
    if m.recommenders:
        counts["recommenders"] = len(m.recommenders)
    if m.metric_attributions:
        counts["metricAttributions"] = len(m.metric_attributions)
    if m.batch_inference_jobs:
        counts["batchInferenceJobs"] = len(m.batch_inference_jobs)
    if m.batch_segment_jobs:
        counts["batchSegmentJobs"] = len(m.batch_segment_jobs)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "valid": True,
                    "error_count": 0,
                    "diagnostics": [],
                    "dataset_group": m.dataset_group.name,
                    "counts": counts,
                }
            )
        )
        return
    shown = {k: n for k, n in counts.items() if n or k not in ("filters", "eventTrackers")}
    words = {k: re.sub(r"([A-Z])", lambda c: " " + c.group(1).lower(), k) for k in shown}
    parts = ", ".join(f"{n} {words[k][:-1] if n == 1 else words[k]}" for k, n in shown.items())
    out.print(f"{file} is valid: dataset group {m.dataset_group.name}, {parts}.", markup=False)


TargetOpt = Annotated[
    str,
    typer.Option(
        "--target",
        metavar="local|aws",
        envvar="PRECONCILE_TARGET",
        help="local (the embedded Personalize) or aws.",
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Region (aws: default from the AWS config; local: us-east-1).",
        show_default=False,
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", metavar="PROFILE", help="AWS profile (aws target only).", show_default=False
    ),
]
StateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        metavar="DIR",
        envvar="PRECONCILE_STATE_DIR",
        parser=state_dir_value,
        help="Where the local target keeps its state [default: .preconcile].",
        show_default=False,
    ),
]

TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=1,
        help="Seconds one resource may take to settle [default: 4 hours on aws, 1 hour on local].",
        show_default=False,
    ),
]
PollOpt = Annotated[
    float | None,
    typer.Option(
        "--poll-interval",
        metavar="SECONDS",
        min=0.01,
        max=3600,
        envvar="PRECONCILE_POLL_INTERVAL",
        help="Seconds before the first status check of a resource being waited for; the pause "
        "grows from there [default: 5 on aws, 0.02 on local].",
        show_default=False,
    ),
]


def _load(file: Path, var: list[str] | None, target: str = "local") -> LoadedManifest:
    from personalize_reconcile.manifest import ManifestError, load_manifest

    try:
        return load_manifest(file, _vars(var), target=target)
    except ManifestError as e:
        from personalize_reconcile.engine.saved import is_plan_file

        if is_plan_file(file):
            raise UserError(
                f"{file} is a saved plan, not a manifest; only apply takes a saved plan: "
                f"preconcile apply {shlex.quote(str(file))}"
            ) from None
        _print_problems(e.diagnostics)
        n = len(e.diagnostics)
        err.print(
            f"\n{n:,} problem{'s' if n != 1 else ''} found in {file}; nothing was changed.",
            markup=False,
        )
        raise typer.Exit(1) from None


PROBLEMS_SHOWN = 100
"""At most this many problems are printed; a file with thousands (a generated manifest gone
wrong) would otherwise print megabytes. ``validate --json`` still lists them all."""


def _print_problems(diagnostics) -> None:
    """Print the first :data:`PROBLEMS_SHOWN` diagnostics to stderr, then how many more."""
    for d in diagnostics[:PROBLEMS_SHOWN]:
        err.print(d.render(), markup=False)
    rest = len(diagnostics) - PROBLEMS_SHOWN
    if rest > 0:
        err.print(
            f"... and {rest:,} more problem{'s' if rest != 1 else ''}, not shown; fix these "
            "first, or see them all with `preconcile validate FILE --json`",
            markup=False,
        )


def _open(target: str, region: str | None, profile: str | None, state_dir: Path | None):
    from personalize_reconcile.backends.target import TargetError, open_target

    if profile is not None and target == "local":
        from personalize_reconcile.rules.problems import shown

        err.print(
            f"Warning: --profile {shown(profile)} is for --target aws; this command runs on the "
            "local target, which needs no credentials (pass --target aws to use the profile).",
            markup=False,
        )

    try:
        return open_target(target, region=region, profile=profile, state_dir=state_dir)
    except TargetError as e:
        raise UserError(str(e)) from None


def _prepare(
    loaded: LoadedManifest, tgt, file: Path, skip_rollout_gates: bool = False, adopt: bool = False
):
    from personalize_reconcile.engine import (
        DatasetDeleteRefused,
        ImportModeRefused,
        NameConflict,
        QuotaRefused,
        SchemaChangeRefused,
        prepare,
    )

    try:
        with _service_errors(tgt.name):
            return prepare(loaded, tgt, str(file), skip_rollout_gates, adopt=adopt)
    except (
        DatasetDeleteRefused,
        ImportModeRefused,
        NameConflict,
        QuotaRefused,
        SchemaChangeRefused,
    ) as e:
        raise UserError(str(e)) from None


def _refuse_bad_uploads(prepared) -> None:
    """Refuse, before anything is shown or written, a plan whose imports would upload a
    local file the import job would fail on (``engine/upload_checks.py``); after the
    ownership refusal, which comes first when both apply."""
    from personalize_reconcile.engine.upload_checks import UploadRefused, refuse_bad_uploads

    try:
        refuse_bad_uploads(prepared.plan, prepared.desired)
    except UploadRefused as e:
        raise UserError(str(e)) from None


def _refuse_foreign(prepared, adopt: bool, allow_replace: bool) -> None:
    """Refuse, before anything is shown or written, a plan that changes resources this
    manifest does not own without the flags that allow it (the same message for plan and
    apply)."""
    from personalize_reconcile.engine import ForeignRefused, refuse_foreign

    try:
        refuse_foreign(prepared.plan, adopt=adopt, allow_replace=allow_replace)
    except ForeignRefused as e:
        raise UserError(str(e)) from None


class _service_errors:  # noqa: N801 - used as a context manager
    """Turn errors from AWS, the network or the object store into one clear paragraph."""

    def __init__(self, target: str):
        self.target = target

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            return False
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        from personalize_reconcile.backends.target import NoSuchKeyError, ObjectStoreError

        if isinstance(exc, NoCredentialsError):
            raise UserError(
                "no AWS credentials were found: configure them (aws configure, "
                "AWS_PROFILE, or environment variables), or use --target local"
            ) from None
        if isinstance(exc, EndpointConnectionError):
            raise UserError(
                f"cannot reach {exc.kwargs.get('endpoint_url')}: check the network "
                "and the region, or use --target local"
            ) from None
        if isinstance(exc, ClientError):
            e = exc.response.get("Error", {})
            code, message = e.get("Code"), e.get("Message")
            hint = ""
            if code in (
                "AccessDeniedException",
                "UnrecognizedClientException",
                "InvalidSignatureException",
                "ExpiredTokenException",
            ):
                hint = (
                    " Check the credentials and that their IAM policy allows this call "
                    "(docs/aws.md lists the permissions preconcile needs)."
                )
            elif code in ("LimitExceededException", "ThrottlingException"):
                hint = (
                    " The service is throttling or a quota is reached; retries ran out. "
                    "Wait and run again, or ask AWS for a higher quota."
                )
            raise UserError(f"{self.target} answered {code}: {message}.{hint}") from None
        if isinstance(exc, NoSuchKeyError):
            raise UserError(
                f"{exc}. Upload the data first, or set uploadFrom in the manifest."
            ) from None
        if isinstance(exc, ObjectStoreError):
            raise UserError(str(exc)) from None
        return False


@app.command()
def plan(
    file: ManifestArg,
    var: VarOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when there are no changes, 2 when there are."
        ),
    ] = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PLAN",
            help="Also save the plan to PLAN (Terraform's -out=PLAN works too); `apply PLAN` "
            "then applies exactly this plan, and refuses it if anything changed since.",
            show_default=False,
        ),
    ] = None,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Show the changes to existing resources that this manifest does not own "
            "and that differ from it (apply needs --adopt too).",
        ),
    ] = False,
    allow_replace: Annotated[
        bool,
        typer.Option(
            "--allow-replace",
            help="With --adopt: show the replacement of such resources (apply needs both "
            "flags too).",
        ),
    ] = False,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Show what apply would change, and why. Makes no changes.

    A resource that exists under a name the manifest uses, is not this manifest's and
    differs from it is refused (exit 1) unless --adopt (and, to replace it, --allow-replace)
    is given.
    """
    from personalize_reconcile.render.human import render_plan

    loaded = _load(file, var, target)
    if out_file is not None and out_file.resolve() == file.resolve():
        raise UserError(f"--out {out_file} is the manifest itself; save the plan to another file")
    if out_file is not None and out_file.is_dir():
        raise UserError(
            f"--out {out_file} is a folder; give the plan a file name, such as "
            f"{out_file / 'workshop.plan'}"
        )
    tgt = _open(target, region, profile, state_dir)
    prepared = _prepare(loaded, tgt, file, adopt=adopt)
    _refuse_foreign(prepared, adopt, allow_replace)
    _refuse_bad_uploads(prepared)
    if as_json:
        out.print(json.dumps(prepared.plan.to_json(), indent=2), markup=False)
    else:
        out.print(render_plan(prepared.plan))
        _flags_note(prepared, adopt)
    _untagged_note(prepared, as_json)
    _rollout_warnings(prepared)
    if tgt.name == "aws":
        _plan_preflight(tgt, prepared)
    if out_file is not None:
        _save_plan(out_file, prepared, loaded, file, _vars(var), tgt, as_json, adopt)
    if detailed_exitcode and prepared.plan.has_changes:
        raise exit_with_changes()


def _flags_note(prepared, adopt: bool) -> None:
    """After a plan's summary, the flags apply will need for it (it refuses replacements
    that lose data or a model, and deletes, without them), so that the plan says what
    apply will ask for."""
    from personalize_reconcile.engine import flags_needed

    flags = flags_needed(prepared.plan, prepared.kinds, adopt=adopt)
    if flags:
        out.print(
            f"Apply needs {' and '.join(flags)} for this plan (see the changes above).",
            markup=False,
        )


def _untagged_note(prepared, to_stderr: bool = False) -> None:
    """Print one line counting the resources used as they are although they lack this
    manifest's ownership tag (they equal the manifest), and how to tag them."""
    from personalize_reconcile.resources import OWNERSHIP_TAG

    n = len(prepared.plan.untagged)
    if not n:
        return
    tag = f"{OWNERSHIP_TAG}={prepared.plan.manifest_name}"
    text = (
        f"{n} resources exist without the tag {tag} and equal the manifest; they are used "
        "as they are, and apply --adopt tags them"
        if n != 1
        else f"1 resource exists without the tag {tag} and equals the manifest; it is used "
        "as it is, and apply --adopt tags it"
    )
    (err if to_stderr else out).print(
        f"\nNote: {text}.",
        markup=False,
    )


def _rollout_warnings(prepared) -> None:
    """Print, on stderr, the campaigns that follow $LATEST and serve a version missing
    their rollout gate."""
    for warning in prepared.rollout_warnings:
        err.print(f"Warning: {warning}.", markup=False)


def _save_plan(
    path: Path, prepared, loaded, file: Path, variables, tgt, as_json: bool, adopt: bool
) -> None:
    """Save the plan to ``path`` and say how to apply it, with the flags apply will need
    for it (a plan made with --adopt that tags resources needs --adopt too)."""
    from personalize_reconcile.engine import flags_needed, saved

    try:
        saved.write(saved.capture(prepared, loaded, str(file), variables, tgt.state_dir), path)
    except OSError as e:
        raise UserError(f"cannot save the plan to {path}: {e.strerror or e}") from None
    flags = flags_needed(prepared.plan, prepared.kinds)
    if adopt and "--adopt" not in flags and any(c.adopting for c in prepared.plan.changes):
        flags.append("--adopt")
    (err if as_json else out).print(
        f"\nSaved the plan to {path}. To apply exactly this plan: "
        f"preconcile apply {shlex.quote(str(path))}" + "".join(f" {f}" for f in flags),
        markup=False,
    )


@app.command()
def apply(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="The manifest file (YAML), or a plan file saved by `plan --out`.",
            metavar="FILE|PLAN",
            show_default=False,
        ),
    ],
    var: VarOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply without asking for confirmation.")
    ] = False,
    allow_replace: Annotated[
        bool,
        typer.Option(
            "--allow-replace",
            help="Allow replacing resources that hold data or a model (with --adopt, also "
            "resources this manifest does not own).",
        ),
    ] = False,
    allow_delete: Annotated[
        bool, typer.Option("--allow-delete", help="Allow deleting resources.")
    ] = False,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Allow changing existing resources that this manifest "
            "did not create (they get its ownership tag); with --allow-replace, replacing them.",
        ),
    ] = False,
    skip_rollout_gates: Annotated[
        bool,
        typer.Option(
            "--skip-rollout-gates",
            help="Deploy new versions to campaigns even when they miss the campaign's "
            "rollout gate.",
        ),
    ] = False,
    skip_preflight: Annotated[
        bool,
        typer.Option(
            "--skip-preflight",
            help="On --target aws, skip the IAM and S3 checks made before the first write.",
        ),
    ] = False,
    timeout: TimeoutOpt = None,
    poll_interval: PollOpt = None,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Make the target match the manifest: create, update or replace what differs.

    On --target aws, the IAM role and the bucket policy each new import needs are checked
    first (see `preconcile preflight`); a problem stops apply before anything is written.

    A campaign whose new version misses its rollout gate is not deployed: the version stays
    trained, apply says which metric missed by how much and exits 1.

    Given a plan file saved by `plan --out`, apply exactly that plan, without asking; it is
    refused when the manifest, what it reads or the live state changed since.
    """
    from personalize_reconcile.engine import ApplyRefused, check_allowed
    from personalize_reconcile.engine import saved as saved_plans
    from personalize_reconcile.render.human import render_plan

    try:
        saved = saved_plans.read(file)
    except saved_plans.SavedPlanError as e:
        raise UserError(str(e)) from None
    if saved is not None:
        tgt, prepared = _prepare_saved(
            ctx, saved, var, profile, target, region, state_dir, skip_rollout_gates, adopt
        )
        auto_approve = True  # the plan was reviewed when it was made, as in Terraform
    else:
        loaded = _load(file, var, target)
        tgt = _open(target, region, profile, state_dir)
        prepared = _prepare(loaded, tgt, file, skip_rollout_gates, adopt=adopt)
    _refuse_foreign(prepared, adopt, allow_replace)
    _refuse_bad_uploads(prepared)
    the_plan = prepared.plan
    waits = [c for c in the_plan.changes if c.wait]
    out.print(render_plan(the_plan))
    _untagged_note(prepared)
    _rollout_warnings(prepared)
    if not the_plan.has_changes and not waits:
        _fail_on_rollout_warnings(prepared, skip_rollout_gates)
        return
    try:
        check_allowed(
            the_plan,
            prepared.kinds,
            allow_replace=allow_replace,
            allow_delete=allow_delete,
            adopt=adopt,
        )
    except ApplyRefused as e:
        raise UserError(f"refusing to apply: {e}") from None
    if tgt.name == "aws" and not skip_preflight:
        from personalize_reconcile.engine.preflight import accesses

        _preflight(tgt, accesses(prepared.desired, prepared.plan), "apply anyway")
    if the_plan.has_changes:
        _confirm(auto_approve, "Apply these changes?")
    _run(
        prepared,
        tgt,
        timeout,
        poll_interval,
        skip_rollout_gates=skip_rollout_gates,
        saved_plan=saved is not None,
    )
    _fail_on_rollout_warnings(prepared, skip_rollout_gates)


def _plan_preflight(tgt, prepared) -> None:
    """On an aws target, run apply's preflight for the imports the plan creates and print
    what it would stop on as a warning (plan never promises what apply refuses); checks
    the credentials may not make are left to apply and ``preconcile preflight``."""
    from personalize_reconcile.engine.preflight import accesses, check

    needed = accesses(prepared.desired, prepared.plan)
    if not needed:
        return
    with _service_errors(tgt.name):
        report = check(tgt.aws_client("iam"), tgt.aws_client("s3"), needed)
    if report.failures:
        n = len(report.failures)
        err.print(
            f"Warning: apply will stop before writing anything: preflight found {n} "
            f"problem{'s' if n != 1 else ''} with what Personalize needs to read the data:\n"
            + "\n".join(f"  {f}" for f in report.failures)
            + f"\nFix {'them' if n != 1 else 'it'} (docs/aws.md, sections 2 and 3), or apply "
            "with --skip-preflight.",
            markup=False,
        )


def _preflight(tgt, needed, escape_hatch: str | None = None) -> tuple[list[str], int]:
    """Run the IAM and S3 checks for ``needed`` on an aws target; print what could not be
    checked on stderr; raise UserError naming every problem, with the JSON to add, when
    one is found. Returns the sentences about what was found right and how many checks
    could not be made."""
    from personalize_reconcile.engine.preflight import check

    if not needed:
        return [], 0
    with _service_errors(tgt.name):
        report = check(tgt.aws_client("iam"), tgt.aws_client("s3"), needed)
    for line in report.unchecked:
        err.print(f"Warning: {line}.", markup=False)
    if report.failures:
        n = len(report.failures)
        tail = f", or pass --skip-preflight to {escape_hatch}" if escape_hatch is not None else ""
        raise UserError(
            f"preflight found {n} problem{'s' if n != 1 else ''} with what Personalize needs "
            "to read the data; nothing was changed:\n"
            + "\n".join(f"  {f}" for f in report.failures)
            + f"\nFix {'them' if n != 1 else 'it'} (docs/aws.md, sections 2 and 3) and run "
            f"again{tail}."
        )
    return report.passed, len(report.unchecked)


@app.command()
def preflight(
    file: ManifestArg,
    var: VarOpt = None,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Check, on --target aws, that Personalize can read the data the manifest imports:
    each import's role trusts personalize.amazonaws.com and may read the data, and the
    bucket policy lets the service in. Makes no changes; exit 1 when something is missing,
    with the policy to add. apply runs the same checks before its first write.
    """
    from personalize_reconcile.engine.desired import build
    from personalize_reconcile.engine.preflight import accesses

    loaded = _load(file, var, target)
    if target != "aws":
        out.print(
            "Nothing to check on the local target: preflight checks the IAM role and the S3 "
            "bucket policy Personalize uses, on --target aws.",
            markup=False,
        )
        return
    needed = accesses(build(loaded))
    if not needed:
        out.print(f"Nothing to check: {file} imports no data from S3.", markup=False)
        return
    tgt = _open(target, region, profile, None)
    passed, unchecked = _preflight(tgt, needed)
    for line in passed:
        out.print(f"OK: {line}.", markup=False)
    if unchecked:
        out.print(
            f"Preflight passed; {unchecked} check{'s' if unchecked != 1 else ''} could not be "
            f"made (see the warning{'s' if unchecked != 1 else ''} above).",
            markup=False,
        )
    else:
        out.print("Preflight passed.", markup=False)


def _fail_on_rollout_warnings(prepared, skip_rollout_gates: bool) -> None:
    """Exit 1 when a campaign that follows $LATEST serves a version missing its rollout
    gate (already printed), unless --skip-rollout-gates: the same exit as a campaign held
    back, so that a pipeline notices."""
    if prepared.rollout_warnings and not skip_rollout_gates:
        err.print(
            "Error: a campaign serves a version that misses its rollout gate (see the warning "
            "above), and apply cannot hold back a campaign that follows $LATEST. To deploy "
            "only versions that pass, remove syncWithLatestSolutionVersion from it; to accept "
            "the version, pass --skip-rollout-gates.",
            markup=False,
        )
        raise typer.Exit(1)


def _prepare_saved(
    ctx: typer.Context,
    saved,
    var,
    profile,
    target,
    region,
    state_dir,
    skip_rollout_gates=False,
    adopt=False,
):
    """Plan again exactly as the saved plan was made; refuse it when anything moved."""
    from personalize_reconcile.engine import saved as saved_plans

    if var:
        raise UserError(
            f"--var cannot be used with a saved plan: {saved.source} applies the variables it "
            "was made with; run plan again to change them."
        )
    # A plan made with --adopt tags the untagged resources that equal the manifest; plan
    # again the same way, and let apply tag them only with --adopt too.
    tagging = [
        c["address"]
        for c in saved.plan.get("resource_changes", [])
        if c.get("adopting") and c.get("actions") == ["update"]
    ]
    if tagging and not adopt:
        raise UserError(
            f"the saved plan {saved.source} tags resources this manifest does not own (it was "
            f"made with plan --adopt): {', '.join(tagging)}; nothing was changed. Apply it "
            f"with --adopt: preconcile apply {shlex.quote(str(saved.source))} --adopt"
        )
    adopt = bool(tagging)
    given = {}
    for key, value, option, env in (
        ("target", target, "--target", "PRECONCILE_TARGET"),
        ("region", region, "--region", None),
        ("state_dir", state_dir, "--state-dir", "PRECONCILE_STATE_DIR"),
    ):
        source = getattr(ctx.get_parameter_source(key), "name", None)
        if source == "COMMANDLINE":
            given[key] = (value, option)
        elif source == "ENVIRONMENT":
            given[key] = (value, env)
    try:
        saved_plans.check_options(saved, given)
        saved_plans.check_inputs(saved)
        manifest = Path(saved.manifest_path)
        loaded = _load(manifest, [f"{k}={v}" for k, v in saved.variables.items()], saved.target)
        state = Path(saved.state_dir) if saved.state_dir else None
        tgt = _open(saved.target, saved.region, profile, state)
        prepared = _prepare(loaded, tgt, manifest, skip_rollout_gates, adopt=adopt)
        saved_plans.check_live(saved, prepared)
    except saved_plans.SavedPlanError as e:
        raise UserError(str(e)) from None
    return tgt, prepared


@app.command()
def destroy(
    file: ManifestArg,
    var: VarOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Delete without asking for confirmation.")
    ] = False,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Also delete what has no ownership tag but is in the way: the filters and "
            "event trackers of a dataset group this manifest owns, and the manifest's "
            "schemas that no dataset of it uses.",
        ),
    ] = False,
    timeout: TimeoutOpt = None,
    poll_interval: PollOpt = None,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Delete everything the manifest manages (resources carrying its ownership tag).

    What is not the manifest's is kept, with a note, unless --adopt is given.
    """
    from personalize_reconcile.engine.destroy import prepare_destroy
    from personalize_reconcile.render.human import render_plan
    from personalize_reconcile.resources import OWNERSHIP_TAG

    loaded = _load(file, var)
    tgt = _open(target, region, profile, state_dir)
    with _service_errors(tgt.name):
        prepared = prepare_destroy(loaded, tgt, str(file), adopt=adopt)
    if prepared.plan.changes:
        out.print(render_plan(prepared.plan))
    else:
        out.print(
            f"Nothing to destroy: no resource of {file} (tagged {OWNERSHIP_TAG}="
            f"{loaded.manifest.name}) exists on the {tgt.name} target ({tgt.region}).",
            markup=False,
        )
    for note in prepared.notes:
        out.print(note, markup=False)
    if not prepared.plan.changes:
        return
    _confirm(auto_approve, "Delete these resources? Their data and models will be lost.")
    _run(prepared, tgt, timeout, poll_interval, verb="Destroy")


def _confirm(auto_approve: bool, question: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UserError(
            "this needs confirmation, and standard input is not a terminal; "
            "pass --auto-approve to go ahead without asking"
        )
    answer = typer.prompt(
        f"\n{question} Only 'yes' will be accepted", default="", show_default=False
    )
    if answer.strip() != "yes":
        err.print("Cancelled; nothing was changed.")
        raise typer.Exit(1)


def _run(
    prepared,
    tgt,
    timeout: float | None,
    poll_interval: float | None,
    verb: str = "Apply",
    skip_rollout_gates: bool = False,
    saved_plan: bool = False,
) -> None:
    from personalize_reconcile.engine import Applier, WaitPolicy
    from personalize_reconcile.render.progress import Progress

    policy = WaitPolicy.for_target(tgt.name, timeout, poll_interval)
    out.print("")
    try:
        with _service_errors(tgt.name), Progress(out, live=out.is_terminal) as progress:
            result = Applier(
                prepared.ctx,
                prepared.plan,
                prepared.desired,
                prepared.kinds,
                policy,
                on_event=progress,
                skip_rollout_gates=skip_rollout_gates,
            ).run()
    except KeyboardInterrupt:
        err.print(
            f"\n{verb} interrupted. What was already requested goes on in the service; run "
            "the same command again to pick up from there.",
            markup=False,
        )
        raise typer.Exit(1) from None
    counts = {"create": 0, "update": 0, "replace": 0, "delete": 0}
    changes = {c.address: c for c in prepared.plan.changes}
    for address in result.succeeded:
        action = changes[address].action
        if action in counts and address not in result.found:
            counts[action] += 1
    done = ", ".join(
        f"{n} {VERBS_PAST[a]}" for a, n in counts.items() if verb == "Apply" or a == "delete"
    )
    adopted = sum(  # an adopted schema is a no-op: it is simply used
        1
        for c in prepared.plan.changes
        if c.adopting and (c.address in result.succeeded or c.action == "no-op")
    )
    if adopted:
        done += f", {adopted} adopted"
    if result.found:
        done += f"; {len(result.found)} found already made by another run"
    if verb == "Apply":
        with _service_errors(tgt.name):
            _print_tracking_ids(prepared, result.succeeded)
    if result.ok:
        out.print(f"\n[green]{verb} complete:[/green] {done}.")
        return
    if not result.failed and not result.skipped:
        # only rollout gates held something back: everything else was done
        err.print(
            f"\n[yellow]{verb} incomplete:[/yellow] {done}; {len(result.held)} "
            "not deployed by its rollout gate."
        )
        for address, reason in result.held.items():
            err.print(f"  {escape(address)}: {escape(reason)}")
        err.print(
            "The new versions stay trained and the campaigns serve what they served. "
            "To deploy them anyway: apply --skip-rollout-gates."
        )
        raise typer.Exit(1)
    err.print(
        f"\n[red]{verb} failed:[/red] {done}; {len(result.failed)} failed, "
        f"{len(result.skipped)} not started"
        + (f", {len(result.held)} not deployed by its rollout gate." if result.held else ".")
    )
    for address, reason in {**result.failed, **result.held}.items():
        err.print(f"  {escape(address)}: {escape(reason)}")
    err.print(
        "Fix the cause, then plan again and apply the new plan; what was done stays done."
        if saved_plan
        else "Fix the cause and run the same command again; it continues where it stopped."
    )
    raise typer.Exit(1)


def _print_tracking_ids(prepared, succeeded: list[str]) -> None:
    """One line per event tracker the apply created: its tracking ID, which PutEvents
    needs (``preconcile output`` shows it again)."""
    from personalize_reconcile.engine.outputs import new_tracking_ids

    for address, tracking_id in new_tracking_ids(prepared, succeeded):
        out.print(
            f"{address} tracking ID: {tracking_id} (send events with it; preconcile output "
            "shows it again)",
            markup=False,
        )


@app.command()
def recommend(
    campaign: Annotated[
        str | None,
        typer.Option(
            "--campaign", metavar="NAME", help="The campaign's name or ARN.", show_default=False
        ),
    ] = None,
    recommender: Annotated[
        str | None,
        typer.Option(
            "--recommender",
            metavar="NAME",
            help="The recommender's name or ARN (instead of --campaign).",
            show_default=False,
        ),
    ] = None,
    user_id: Annotated[
        str | None,
        typer.Option(
            "--user-id", metavar="ID", help="Recommend for this user.", show_default=False
        ),
    ] = None,
    item_id: Annotated[
        str | None,
        typer.Option(
            "--item-id",
            metavar="ID",
            help="Recommend items related to this item.",
            show_default=False,
        ),
    ] = None,
    num_results: Annotated[
        int | None,
        typer.Option(
            "--num-results",
            metavar="N",
            help="How many items, 1-500 [default: 25].",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the response as JSON.")] = False,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Get recommendations from a campaign or a recommender, like the console's "test
    campaign" (actions for a user from an aws-next-best-action campaign)."""
    from rich.table import Table

    from personalize_reconcile.engine.recommend import RecommendError
    from personalize_reconcile.engine.recommend import recommend as ask
    from personalize_reconcile.render.text import visible

    if (campaign is None) == (recommender is None):
        raise UserError(
            "give exactly one of --campaign NAME (a campaign) or --recommender NAME "
            "(a recommender of a domain dataset group)"
        )
    if recommender is not None and user_id is not None and item_id is not None:
        pass  # some use cases take both (customers who viewed X also viewed, reference §8)
    elif (user_id is None) == (item_id is None):
        raise UserError(
            "give exactly one of --user-id (a user's recommendations) or --item-id "
            "(items related to an item)"
        )
    for option, value in (("--user-id", user_id), ("--item-id", item_id)):
        if value is not None and not value.strip():
            raise UserError(f"{option} must not be empty")
        if value is not None and len(value) > ID_MAX:
            raise UserError(
                f"{option} is {len(value):,} characters long; GetRecommendations takes ids "
                f"of at most {ID_MAX} characters (botocore model)"
            )
    if num_results is not None and not 1 <= num_results <= 500:
        raise UserError(f"--num-results must be between 1 and 500, not {num_results}")
    tgt = _open(target, region, profile, state_dir)
    try:
        with _service_errors(tgt.name):
            resp = ask(
                tgt,
                campaign,
                recommender=recommender,
                user_id=user_id,
                item_id=item_id,
                num_results=num_results,
            )
    except RecommendError as e:
        raise UserError(str(e)) from None
    if as_json:
        out.print(json.dumps(resp, indent=2, default=str), markup=False)
        return
    who = " and ".join(
        f"{what} {visible(value)}"
        for what, value in (("user", user_id), ("item", item_id))
        if value
    )
    source = campaign if campaign is not None else recommender
    key = "actionId" if "actionList" in resp else "itemId"
    what = "action recommendations" if key == "actionId" else "recommendations"
    table = Table(title=escape(f"{visible(source)}: {what} for {who}"), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column(key)
    table.add_column("score", justify="right")
    for i, item in enumerate(resp.get("actionList", resp.get("itemList", [])), 1):
        score = item.get("score")
        table.add_row(str(i), escape(visible(item[key])), "" if score is None else f"{score:.6f}")
    out.print(table)
    out.print(f"recommendationId: {resp.get('recommendationId', '')}", markup=False)


@app.command()
def output(
    file: ManifestArg,
    var: VarOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the versioned JSON document instead.")
    ] = False,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Print the ARNs (and tracking ids) of what the manifest made, for the next step of a
    pipeline. Makes no changes."""
    from personalize_reconcile.engine.outputs import outputs

    loaded = _load(file, var)
    tgt = _open(target, region, profile, state_dir)
    doc = outputs(_prepare(loaded, tgt, file))
    if not doc["resources"]:
        raise UserError(
            f"nothing that {file} declares exists on the {tgt.name} target ({tgt.region}) yet; "
            f"run preconcile apply {shlex.quote(str(file))} first"
        )
    if as_json:
        out.print(json.dumps(doc, indent=2), markup=False)
    else:
        # one line per resource, never wrapped, so ARNs can be cut out with awk
        rows = [(a, e["status"], e["arn"]) for a, e in doc["resources"].items()]
        rows += [
            (f"{a}.trackingId", "", e["trackingId"])
            for a, e in doc["resources"].items()
            if "trackingId" in e
        ]
        width = max(len(r[0]) for r in rows)
        state_width = max(len(r[1]) for r in rows)
        for address, status, value in rows:
            print(f"{address:<{width}}  {status:<{state_width}}  {value}")
    if doc["missing"]:
        err.print(
            f"{len(doc['missing'])} of the resources {file} declares do not exist yet: "
            f"{', '.join(doc['missing'])}; run preconcile apply {shlex.quote(str(file))}",
            markup=False,
        )


@app.command()
def export(
    dataset_group: Annotated[
        str,
        typer.Option(
            "--dataset-group",
            metavar="NAME",
            help="The dataset group to export.",
            show_default=False,
        ),
    ],
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write the manifest; the schemas go beside it as <schema name>.avsc "
            "[default: <dataset group>.yaml].",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the manifest and schema files.")
    ] = False,
    target: TargetOpt = "local",
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Write a manifest for an existing dataset group and everything in it, so that
    preconcile manages what already runs. Makes no changes.

    `plan` of the written manifest shows no changes; `apply --adopt` tags what it declares
    as the manifest's. What a manifest cannot declare yet is listed at the top of the file
    and on standard error.
    """
    from personalize_reconcile.engine.export import ExportError, render, schema_text
    from personalize_reconcile.engine.export import export as read_group

    path = output_file if output_file is not None else Path(f"{dataset_group}.yaml")
    if path.is_dir():
        raise UserError(
            f"{path} is a folder; give the manifest a file name, such as "
            f"{path / (dataset_group + '.yaml')}"
        )
    tgt = _open(target, region, profile, state_dir)
    try:
        with _service_errors(tgt.name):
            exported = read_group(tgt, dataset_group)
    except ExportError as e:
        raise UserError(str(e)) from None
    files = {path: None} | {path.parent / n: doc for n, doc in exported.schemas.items()}
    taken = [str(p) for p in files if p.exists()]
    if taken and not force:
        raise UserError(
            f"{', '.join(taken)} already exist{'s' if len(taken) == 1 else ''}; nothing was "
            "written. Choose another file with -o, or pass --force to overwrite."
        )
    command = f"preconcile export --dataset-group {shlex.quote(dataset_group)}"
    text = render(exported, command, f"{tgt.name} target ({tgt.region})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for p, doc in files.items():
            p.write_text(text if doc is None else schema_text(doc))
    except OSError as e:
        raise UserError(f"cannot write {e.filename}: {e.strerror or e}") from None
    for line in exported.not_declared:
        err.print(f"Not declared: {line}.", markup=False)
    for line in exported.warnings:
        err.print(f"Warning: {line}.", markup=False)
    doc = exported.document
    counts = {
        "schemas": len(doc.get("schemas", {})),
        "datasets": len(doc.get("datasets", {})),
        "solutions": len(doc.get("solutions", {})),
        "campaigns": len(doc.get("campaigns", {})),
        "filters": len(doc.get("filters", {})),
        "event trackers": int("eventTracker" in doc),
        "recommenders": len(doc.get("recommenders", {})),
        "metric attributions": len(doc.get("metricAttributions", {})),
    }
    parts = ", ".join(
        f"{n} {k[:-1] if n == 1 else k}"
        for k, n in counts.items()
        if n or k in ("schemas", "datasets", "solutions", "campaigns")
    )
    out.print(
        f"Wrote {path} (dataset group {dataset_group}: {parts}). Next: preconcile plan "
        f"{shlex.quote(str(path))}, then preconcile apply {shlex.quote(str(path))} --adopt "
        "to tag it all as the manifest's.",
        markup=False,
    )


ID_MAX = 256
"""The longest ``userId`` / ``itemId`` GetRecommendations takes (botocore's personalize-runtime
model, shapes ``UserID`` and ``ItemID``)."""

VERBS_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


@app.command()
def schema() -> None:
    """Print the manifest's JSON Schema (for editors: see docs/editor.md)."""
    from personalize_reconcile.manifest import json_schema

    out.print(json.dumps(json_schema(), indent=2), markup=False)


def exit_with_changes() -> typer.Exit:
    """Return the Exit that says "changes present" (code 2, ``--detailed-exitcode``).

    Commands must use this rather than ``typer.Exit(2)``: :func:`main` turns any other
    exit code 2 (click's usage errors) into 1.
    """
    _state["changes_exit"] = True
    return typer.Exit(2)


def _terraform_style(args: list[str]) -> list[str]:
    """Accept Terraform's single-dash ``-out PLAN`` / ``-out=PLAN`` after ``plan`` as
    ``--out`` (click would read ``-out`` as ``-o ut``)."""
    if "plan" not in args:
        return args
    at = args.index("plan")
    tail = ["--" + a[1:] if a == "-out" or a.startswith("-out=") else a for a in args[at:]]
    return args[:at] + tail


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app; map every failure to exit code 1."""
    _state["changes_exit"] = False
    try:
        app(args=_terraform_style(sys.argv[1:] if argv is None else argv), prog_name="preconcile")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code == 2 and not _state["changes_exit"]:
            code = 1  # a usage error, not "changes present"
        if code == 130:  # Ctrl-C, as the command-line library reports it
            err.print("Interrupted.")
            code = 1
        sys.exit(code)
    except UserError as e:
        err.print(f"Error: {e}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - last line of defence: no traceback for users
        if _state["debug"]:
            traceback.print_exc()
        else:
            err.print(
                f"Error: unexpected {type(e).__name__}: {e}\n"
                "Run again with --debug for the traceback.",
                markup=False,
            )
        sys.exit(1)
