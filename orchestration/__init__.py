"""Grandstand: the club's fan-data warehouse (Dagster code location and tooling)."""
