"""Integration tests of the Concert Data Platform."""
