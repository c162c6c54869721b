"""Every limit ``preconcile validate`` applies, as a Markdown table for the reference.

One job: gather the bounds defined where they are enforced — reading and parsing
(:mod:`personalize_reconcile.manifest.source`), interpolation
(:mod:`personalize_reconcile.manifest.interpolate`), the cross-checks
(:mod:`personalize_reconcile.manifest.checks`), the service's quotas and ranges
(:mod:`personalize_reconcile.rules.limits`, reference §1, §5, §6, §9) and botocore's
service model — so that ``docs/gen_reference.py`` prints them and the documentation
cannot drift from the code.
"""

from __future__ import annotations

from personalize_reconcile.manifest import checks, interpolate, source
from personalize_reconcile.rules import filters, limits, shapes
from personalize_reconcile.rules.names import NAME_MAX

_TABLE = """\
| what | limit | source |
|---|---|---|
| manifest or schema file | a regular file (not a FIFO, device or directory) of at most \
{file_bytes:,} bytes (1 MiB) | preconcile |
| `uploadFrom` | a regular file (checked, never opened, by validate) | preconcile |
| nesting of mappings and lists | {depth} levels, aliases expanded | preconcile |
| YAML aliases | may repeat at most {alias_chars:,} characters in one file; merge keys \
(`<<`), explicit tags and recursive aliases are refused | preconcile |
| one value after `${{...}}` is replaced | {value_chars:,} characters | preconcile |
| all `${{...}}` replacements in a manifest | {expanded_chars:,} characters | preconcile |
| text between `${{` and `}}` | {ref_chars} characters | preconcile |
| resource names | 1-{name} characters | service model `Name` |
| import names | {import_name} characters (a fingerprint is appended) | service model `Name` |
| a schema, as JSON | {schema:,} characters | service model `AvroSchema` |
| `roleArn`, `dataLocation`, recipe ARN | {arn} characters | service model |
| `kmsKeyArn` | {kms:,} characters | service model |
| `eventType` | {event_type} characters | service model |
| `minProvisionedTPS` | 1 to {int_max:,} | service model (a 32-bit integer) |
| a filter's `expression` | {filter_chars:,} characters; at most {filter_fields} distinct \
dataset fields per filter and {group_fields} across the filters | service model \
`FilterExpression`; Personalize quota |
| tags | {tags} per resource besides preconcile's own (key 1-128 characters, value 0-256) \
| Personalize Developer Guide |
{quotas}
| `uploadFrom` file size | {uploads} | Personalize Developer Guide |
| `hpoConfig.hpoResourceConfig` | {hpo} | Personalize Developer Guide |
| `schedulingExpression` | `rate(N days)` with N from {days[0]} to {days[1]} \
| Personalize Developer Guide |
"""


def limits_table() -> str:
    """Return the Markdown table (``what | limit | source``) of every limit, preconcile's
    own input bounds first, then the service's limits and quotas checked before any API
    call."""
    quotas = "\n".join(
        f"| {q.section} in the manifest ({q.title}) | {q.default}"
        + (f"; raise with `quotas.{q.key}`" if q.key else "")
        + " | Personalize quota |"
        for q in limits.QUOTAS
    )
    return _TABLE.format(
        file_bytes=source.MAX_FILE_BYTES,
        depth=source.MAX_DEPTH,
        alias_chars=source.MAX_ALIAS_CHARS,
        value_chars=interpolate.MAX_VALUE_CHARS,
        expanded_chars=interpolate.MAX_EXPANDED_CHARS,
        ref_chars=interpolate.MAX_REF_CHARS,
        name=NAME_MAX,
        import_name=checks.IMPORT_NAME_MAX,
        schema=shapes.member("CreateSchema", "schema").metadata["max"],
        arn=shapes.member("CreateDatasetImportJob", "roleArn").metadata["max"],
        kms=shapes.member("CreateDatasetGroup", "kmsKeyArn").metadata["max"],
        event_type=shapes.member("CreateSolution", "eventType").metadata["max"],
        int_max=shapes.INTEGER_RANGES["integer"][1],
        filter_chars=shapes.member("CreateFilter", "filterExpression").metadata["max"],
        filter_fields=filters.FIELDS_PER_FILTER,
        group_fields=filters.FIELDS_PER_GROUP,
        tags=checks.USER_TAGS_MAX,
        quotas=quotas,
        uploads=", ".join(
            f"{v // limits.GIB} GB ({k})" for k, v in limits.IMPORT_MAX_BYTES.items()
        ),
        hpo=", ".join(f"`{k}` 1-{v}" for k, v in limits.HPO_MAX.items()),
        days=limits.AUTO_TRAINING_DAYS,
    )
