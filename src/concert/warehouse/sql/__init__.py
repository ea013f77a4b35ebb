"""The SQL models, one ``.sql`` file each under staging/, core/ and marts/, and their specs.

``latest_rows.sql`` is not a model: it holds the de-duplication CTEs every staging
model shares (see :mod:`concert.warehouse.models` for how they are composed).
"""
