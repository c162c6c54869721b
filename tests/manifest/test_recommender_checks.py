"""``recommenders:`` checks: each bad manifest (an edit of ``examples/domain.yaml``) gives
its exact diagnostics with file:line:col, and exit 1, before any API call."""

from __future__ import annotations

import shutil

import pytest

EXTRA = "".join(f"  r{i}:\n    recipe: aws-ecomm-popular-items-by-views\n" for i in range(4))

CASES = {
    "custom-group": (
        [("  domain: ECOMMERCE\n", "")],
        "domain.yaml:45:3  recommenders.shop-recommended-for-you: recommenders need a domain "
        "dataset group; datasetGroup.domain is not set\n"
        "    hint: set datasetGroup.domain to ECOMMERCE or VIDEO_ON_DEMAND, or use a solution "
        "and a campaign instead\n"
        "domain.yaml:49:3  recommenders.shop-also-viewed: recommenders need a domain dataset "
        "group; datasetGroup.domain is not set\n"
        "    hint: set datasetGroup.domain to ECOMMERCE or VIDEO_ON_DEMAND, or use a solution "
        "and a campaign instead\n",
    ),
    "misspelt-use-case": (
        [("recipe: aws-ecomm-recommended-for-you", "recipe: aws-ecomm-recomended-for-you")],
        "domain.yaml:47:13  recommenders.shop-recommended-for-you.recipe: recipe "
        "'aws-ecomm-recomended-for-you' is not a use case of the ECOMMERCE domain\n"
        "    hint: did you mean 'aws-ecomm-recommended-for-you'?\n",
    ),
    "other-domain-use-case": (
        [("recipe: aws-ecomm-customers-who-viewed-x-also-viewed", "recipe: aws-vod-top-picks")],
        "domain.yaml:51:13  recommenders.shop-also-viewed.recipe: recipe 'aws-vod-top-picks' "
        "is not a use case of the ECOMMERCE domain\n"
        "    hint: use one of aws-ecomm-customers-who-viewed-x-also-viewed, "
        "aws-ecomm-frequently-bought-together, aws-ecomm-popular-items-by-purchases, "
        "aws-ecomm-popular-items-by-views, aws-ecomm-recommended-for-you\n",
    ),
    "config-out-of-range-and-unknown": (
        [
            (
                "      minRecommendationRequestsPerSecond: 1\n",
                "      minRecommendationRequestsPerSecond: 0\n      bogus: 1\n",
            )
        ],
        "domain.yaml:49:43  recommenders.shop-recommended-for-you.recommenderConfig."
        "minRecommendationRequestsPerSecond: must be at least 1, not 0\n"
        "domain.yaml:50:7  recommenders.shop-recommended-for-you.recommenderConfig.bogus: "
        "unknown key 'bogus'\n"
        "    hint: valid fields: itemExplorationConfig, minRecommendationRequestsPerSecond, "
        "trainingDataConfig, enableMetadataWithRecommendations\n",
    ),
    "exploration-on-a-use-case-without-it": (
        [
            (
                "    recipe: aws-ecomm-customers-who-viewed-x-also-viewed\n",
                "    recipe: aws-ecomm-customers-who-viewed-x-also-viewed\n"
                "    recommenderConfig:\n      itemExplorationConfig: {explorationWeight: '0.1'}\n",
            )
        ],
        "domain.yaml:53:7  recommenders.shop-also-viewed.recommenderConfig."
        "itemExplorationConfig: itemExplorationConfig is only supported by the "
        "aws-ecomm-recommended-for-you and aws-vod-top-picks use cases, not "
        "aws-ecomm-customers-who-viewed-x-also-viewed\n"
        "    hint: remove itemExplorationConfig\n",
    ),
    "more-than-five": (
        [("    recipe: aws-ecomm-customers-who-viewed-x-also-viewed\n", None)],
        "domain.yaml:45:1  recommenders: 6 recommenders; the service quota 'recommenders per "
        "dataset group' is 5\n"
        "    hint: remove some recommenders; this quota cannot be raised\n",
    ),
    "no-interactions-dataset": (
        [("  Interactions:\n    schema: domain-shop-interactions\n", None)],
        "domain.yaml:40:13  recommenders.shop-recommended-for-you.recipe: use case "
        "aws-ecomm-recommended-for-you trains on an Interactions dataset, and the manifest "
        "declares none\n"
        "    hint: add datasets.Interactions\n"
        "domain.yaml:44:13  recommenders.shop-also-viewed.recipe: use case "
        "aws-ecomm-customers-who-viewed-x-also-viewed trains on an Interactions dataset, and "
        "the manifest declares none\n"
        "    hint: add datasets.Interactions\n",
    ),
    "training-columns": (
        [
            (
                "      minRecommendationRequestsPerSecond: 1\n",
                "      minRecommendationRequestsPerSecond: 1\n      trainingDataConfig:\n"
                "        excludedDatasetColumns:\n          Items: [COLOR, SIZE]\n"
                "          Users: [AGE]\n",
            )
        ],
        "domain.yaml:52:26  recommenders.shop-recommended-for-you.recommenderConfig."
        "trainingDataConfig.excludedDatasetColumns.Items[1]: SIZE is not a field of the "
        "Items schema domain-shop-items\n"
        "    hint: fields there: ITEM_ID, PRICE, CATEGORY_L1, COLOR\n"
        "domain.yaml:53:11  recommenders.shop-recommended-for-you.recommenderConfig."
        "trainingDataConfig.excludedDatasetColumns.Users: the manifest declares no Users "
        "dataset\n"
        "    hint: add datasets.Users, or remove Users here\n",
    ),
    "bad-state": (
        [("  shop-also-viewed:\n", "  shop-also-viewed:\n    state: PAUSED\n")],
        "domain.yaml:51:12  recommenders.shop-also-viewed.state: must be 'ACTIVE' or "
        "'STOPPED', not 'PAUSED'\n",
    ),
}


def _edited(text: str, edits: list) -> str:
    for old, new in edits:
        assert old in text, old
        if new is None and old.startswith("    recipe: aws-ecomm-customers"):
            text = text.replace(old, old + EXTRA, 1)
        elif new is None:
            # drop the Interactions dataset with its import
            start = text.index(old)
            end = text.index("  Items:\n")
            text = text[:start] + text[end:]
        else:
            text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_recommenders(case, cli, repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    manifest = tmp_path / "examples" / "domain.yaml"
    edits, expected = CASES[case]
    manifest.write_text(_edited(manifest.read_text(), edits))
    result = cli("validate", "domain.yaml", cwd=manifest.parent)
    assert result.code == 1
    body = result.err.rsplit("\n\n", 1)[0] + "\n"
    assert body == expected


def test_the_domain_example_is_valid(cli, repo_root):
    result = cli("validate", "domain.yaml", cwd=repo_root / "examples")
    assert result.code == 0, result.err
    assert result.out == (
        "domain.yaml is valid: dataset group domain-shop, 2 schemas, 2 datasets, 2 imports, "
        "0 solutions, 0 campaigns, 2 recommenders, 1 metric attribution.\n"
    )
