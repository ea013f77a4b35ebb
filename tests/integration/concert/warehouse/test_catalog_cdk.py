"""CDK's ``glue.CfnTable`` takes the catalog tables as they are, through ``to_cfn_table_input``."""

from __future__ import annotations

import pytest

from concert.warehouse import glue_table_inputs, to_cfn_table_input

cdk = pytest.importorskip("aws_cdk")
glue = pytest.importorskip("aws_cdk.aws_glue")
assertions = pytest.importorskip("aws_cdk.assertions")

pytestmark = pytest.mark.slow


def test_cfn_tables_synthesize_to_the_glue_table_inputs() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "CatalogTest")
    inputs = glue_table_inputs("concert-data-processed", "concert_processed")
    for table_input in inputs:
        glue.CfnTable(
            stack,
            f"Table{table_input['Name']}",
            catalog_id="123456789012",
            database_name="concert_processed",
            table_input=to_cfn_table_input(table_input),
        )

    tables = assertions.Template.from_stack(stack).find_resources("AWS::Glue::Table")

    # CloudFormation writes the input back in Glue's own PascalCase: the same dicts.
    synthesized = {t["Properties"]["TableInput"]["Name"]: t["Properties"] for t in tables.values()}
    assert {name: p["TableInput"] for name, p in synthesized.items()} == {
        table_input["Name"]: table_input for table_input in inputs
    }
    assert {p["DatabaseName"] for p in synthesized.values()} == {"concert_processed"}
