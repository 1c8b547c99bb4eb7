SELECT
  g0.metric_time__month AS metric_time__month,
  g0.won_deals AS won_deals,
  CAST(g0.won_deals AS DOUBLE) / NULLIF(g0.deals, 0) AS win_rate
FROM (
  SELECT
    DATE_TRUNC('MONTH', CAST(deals.created_at AS DATE)) AS metric_time__month,
    COUNT(CASE WHEN CASE WHEN NOT deal_wins.deal_id IS NULL THEN 1 END IN (1) THEN 1 END) AS won_deals,
    COUNT(*) AS deals
  FROM deals
  LEFT JOIN deal_wins
    ON deals.deal_id = deal_wins.deal_id
  GROUP BY
    DATE_TRUNC('MONTH', CAST(deals.created_at AS DATE))
) AS g0
ORDER BY
  metric_time__month ASC
