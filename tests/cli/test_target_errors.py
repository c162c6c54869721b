"""Bad targets and unreachable services give one clear paragraph and exit 1, never a
traceback; so do confirmations that cannot be asked."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest
from processes import with_default_sigint

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
MANIFEST = str(ROOT / "examples" / "workshop.yaml")


def run(*args, env=None, cwd=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRECONCILE_"))}
    base.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
    )
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "personalize_reconcile", *args],
        env=base,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


CASES = {
    "unknown target": (
        ["plan", MANIFEST, "--target", "gcp"],
        {},
        "Error: unknown target 'gcp'; use --target local or --target aws\n",
    ),
    "no region": (
        ["plan", MANIFEST, "--target", "aws"],
        {},
        "Error: no AWS region is configured; pass --region or set AWS_DEFAULT_REGION\n",
    ),
    "no credentials": (
        ["plan", MANIFEST, "--target", "aws", "--region", "eu-west-1"],
        {},
        "Error: no AWS credentials were found: configure them (aws configure, AWS_PROFILE, or "
        "environment variables), or use --target local\n",
    ),
    "unknown profile": (
        ["plan", MANIFEST, "--target", "aws", "--profile", "nope"],
        {},
        "Error: The config profile (nope) could not be found; list your profiles with "
        "`aws configure list-profiles`\n",
    ),
    "configured region that is not one": (
        ["plan", MANIFEST, "--target", "aws"],
        {"AWS_DEFAULT_REGION": "\u2603", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
        "Error: the configured AWS region '\u2603' is not a region name; fix AWS_REGION / "
        "AWS_DEFAULT_REGION or the profile's region in the AWS config, or pass --region\n",
    ),
    "durations setting that is not kind=seconds": (
        ["plan", MANIFEST],
        {"PRECONCILE_LOCAL_DURATIONS": '{"campaign": 100}'},
        "Error: the local target's settings are unusable: PRECONCILE_LOCAL_DURATIONS: duration "
        "'{\"campaign\": 100}' is not kind=seconds; write kind=seconds pairs, for example "
        "solution-version=30,*=1\n",
    ),
    "account id setting that is not one": (
        ["plan", MANIFEST],
        {"PRECONCILE_ACCOUNT_ID": "42"},
        "Error: the local target's settings are unusable: account id '42' "
        "(PRECONCILE_ACCOUNT_ID) must be 12 digits\n",
    ),
    "unreachable endpoint": (
        ["plan", MANIFEST, "--target", "aws"],
        {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_PERSONALIZE": "http://127.0.0.1:9",
            "AWS_MAX_ATTEMPTS": "1",
        },
        "Error: cannot reach http://127.0.0.1:9/: check the network and the region, or use "
        "--target local\n",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_target_errors(case, tmp_path):
    args, env, expected = CASES[case]
    result = run(*args, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == expected


def test_state_dir_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    result = run("plan", MANIFEST, "--state-dir", "f", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: cannot use {tmp_path / 'f'} as the local target's state dir: it is a file, "
        "not a folder; pick another --state-dir\n"
    )


def test_state_dir_that_is_a_device(tmp_path):
    result = run("plan", MANIFEST, "--state-dir", "/dev/null", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: cannot use /dev/null as the local target's state dir: it is not a folder; "
        "pick another --state-dir\n"
    )


def test_apply_without_a_terminal_needs_auto_approve(tmp_path):
    result = run("apply", MANIFEST, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith(
        "Error: this needs confirmation, and standard input is not a terminal; pass "
        "--auto-approve to go ahead without asking\n"
    )
    assert "Plan: 7 to create" in result.stdout


def _on_terminal(args, answer: str, cwd) -> tuple[int, str]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: preconcile on a terminal
        os.chdir(cwd)
        os.execv(sys.executable, [sys.executable, "-m", "personalize_reconcile", *args])
    out = b""
    sent = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not sent and b"Only 'yes' will be accepted" in out:
            os.write(fd, answer.encode() + b"\r")
            sent = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


@pytest.mark.slow
def test_apply_asks_on_a_terminal(tmp_path):
    code, text = _on_terminal(["apply", MANIFEST], "no", tmp_path)
    assert code == 1
    assert "Cancelled; nothing was changed." in text
    code, text = _on_terminal(["apply", MANIFEST], "yes", tmp_path)
    assert code == 0, text
    assert "Apply complete:\x1b[0m 7 created, 0 updated, 0 replaced, 0 deleted." in text
    assert "campaign.segment-workshop-campaign" in text  # the live progress table


@pytest.mark.parametrize("delay", [0.4, 0.6])
def test_interrupt_while_starting_is_quiet(tmp_path, delay):
    import signal as _signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "personalize_reconcile", "plan", MANIFEST],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=with_default_sigint,
    )
    time.sleep(delay)
    proc.send_signal(_signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if proc.returncode == 0:  # it finished first
        return
    # 1 as a rule; in a rare race the interpreter's own exit still reports the signal (-2)
    assert proc.returncode in (1, -2)
    assert err.strip().endswith("Interrupted.")


CLI_CASES = {
    "region that is not one": (
        ["plan", MANIFEST, "--region", "mars"],
        "Error: 'mars' is not a region name; write one such as us-east-1\n",
    ),
    "region longer than a DNS label": (
        ["plan", MANIFEST, "--region", "us-east-" + "1" * 5000],
        "Error: 'us-east-" + "1" * 55 + "…' is not a region name; write one such as us-east-1\n",
    ),
    "empty item id": (
        ["recommend", "--campaign", "c", "--item-id", ""],
        "Error: --item-id must not be empty\n",
    ),
    "user id longer than the service takes": (
        ["recommend", "--campaign", "c", "--user-id", "u" * 257],
        "Error: --user-id is 257 characters long; GetRecommendations takes ids of at most 256 "
        "characters (botocore model)\n",
    ),
    "huge campaign name is cut in the message": (
        ["recommend", "--campaign", "c" * 100_000, "--item-id", "i"],
        "Error: there is no campaign named '"
        + "c" * 80
        + "…' (100000 characters) on the local target (us-east-1); campaigns there: none\n",
    ),
    "serve with a bad S3 endpoint": (
        ["local", "serve", "--s3-endpoint-url", "not-a-url", "--port", "0"],
        "Error: --s3-endpoint-url 'not-a-url' is not an http(s) URL; write one such as "
        "http://127.0.0.1:5000\n",
    ),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_errors(case, tmp_path):
    args, expected = CLI_CASES[case]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == expected


@pytest.mark.parametrize("value", ["inf", "1e300"])
def test_a_poll_interval_past_an_hour_is_a_usage_error(tmp_path, value):
    """An infinite first pause would wait out the whole timeout before the first check."""
    result = run("apply", MANIFEST, "--auto-approve", "--poll-interval", value, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith(
        "Error: Invalid value for '--poll-interval' (env var: 'PRECONCILE_POLL_INTERVAL'): "
        "Input should be less than or equal to 3600\n"
    )
    assert not (tmp_path / ".preconcile").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["plan", MANIFEST],
        ["apply", MANIFEST, "--auto-approve"],
        ["local", "serve", "--port", "0"],
        ["local", "fast-forward"],
    ],
)
def test_an_empty_state_dir_is_refused_not_read_as_the_working_directory(tmp_path, args):
    result = run(*args, "--state-dir", "", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith(
        "Error: Invalid value for '--state-dir' (env var: 'PRECONCILE_STATE_DIR'): it is "
        "empty; give a folder, such as .preconcile (the default), or leave the option out\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_negative_timeout_is_a_usage_error(tmp_path):
    result = run("apply", MANIFEST, "--timeout", "-1", cwd=tmp_path)
    assert result.returncode == 1
    assert "Invalid value for '--timeout'" in result.stderr


@pytest.mark.parametrize("configured,expected", [(None, 9), ("1", 1), ("3", 3)])
def test_aws_target_honours_the_configured_max_attempts(monkeypatch, configured, expected):
    from personalize_reconcile.backends.target import open_target

    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    if configured:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", configured)
    target = open_target("aws", region="eu-west-1")
    retries = target.personalize.meta.config.retries
    assert (retries["mode"], retries["total_max_attempts"]) == ("adaptive", expected)


def test_a_damaged_state_store_is_named_with_what_to_do(tmp_path):
    state = tmp_path / "st"
    state.mkdir()
    (state / "state.db").write_text("garbage, not a database\n")
    result = run("plan", MANIFEST, "--state-dir", "st", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: the local target's state {state / 'state.db'} cannot be read (file is not a "
        f"database); if it is damaged, move it aside (or delete {state} to start over), or use "
        "another --state-dir\n"
    )


def test_a_profile_on_the_local_target_is_named_as_unused(tmp_path):
    result = run("plan", MANIFEST, "--profile", "prod", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "Warning: --profile 'prod' is for --target aws; this command runs on the local target, "
        "which needs no credentials (pass --target aws to use the profile).\n"
    )


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
def test_a_missing_aws_profile_in_the_environment_does_not_stop_offline_commands(
    tmp_path, variable
):
    """The profile is the aws target's business; validate and the local target read no
    profile (they failed with ProfileNotFound)."""
    env = {variable: "nope"}
    valid = run("validate", MANIFEST, env=env, cwd=tmp_path)
    assert (valid.returncode, valid.stderr) == (0, "")
    planned = run("plan", MANIFEST, env=env, cwd=tmp_path)
    assert (planned.returncode, planned.stderr) == (0, ""), planned.stderr
    aws = run("plan", MANIFEST, "--target", "aws", env=env, cwd=tmp_path)
    assert aws.returncode == 1
    assert aws.stderr.startswith(
        f"Error: The config profile (nope) could not be found (named by {variable}); list your "
        "profiles with `aws configure list-profiles`"
    )
