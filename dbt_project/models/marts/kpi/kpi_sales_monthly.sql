-- Sales, repeat purchase and purchase frequency per calendar month (club time zone) and
-- channel (ticketing | shop | all). Definitions: models/marts/kpi/_kpi__models.yml.
{{ sales_by_period('purchase_month', 'month_start') }}
