SELECT
  g0.closed_at__month AS closed_at__month,
  g0.deals AS deals
FROM (
  SELECT
    DATE_TRUNC('MONTH', deals.closed_at) AS closed_at__month,
    COUNT(*) AS deals
  FROM deals
  WHERE
    deals.deal_stage IN ('won')
  GROUP BY
    DATE_TRUNC('MONTH', deals.closed_at)
) AS g0
ORDER BY
  deals DESC NULLS LAST,
  closed_at__month ASC
