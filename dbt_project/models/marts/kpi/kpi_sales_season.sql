-- Sales, repeat purchase and purchase frequency per season (from the month
-- `season_start_month`, as the matches' season text '2025-2026') and channel
-- (ticketing | shop | all). Definitions: models/marts/kpi/_kpi__models.yml.
{{ sales_by_period('purchase_season', 'season') }}
