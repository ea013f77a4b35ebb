"""Concert Data Platform: ingestion, data quality, warehouse, ML, chatbot and dashboards.

Built on :mod:`foundation` ports, so the same code runs on embedded local
adapters and on AWS (S3, Kinesis, Redshift Serverless, DynamoDB, Bedrock).
"""

__all__: list[str] = []
