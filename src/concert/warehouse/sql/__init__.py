"""The SQL models, one ``.sql`` file each under staging/, core/ and marts/, and their specs."""
