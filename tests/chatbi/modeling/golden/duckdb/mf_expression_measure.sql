SELECT
  g0.deal_size AS deal_size,
  g0.avg_days_to_close AS avg_days_to_close,
  g0.large_deal_value AS large_deal_value
FROM (
  SELECT
    CASE WHEN deals.amount >= 1000 THEN 'large' ELSE 'small' END AS deal_size,
    AVG(DATE_DIFF('DAY', deals.created_at, deals.closed_at)) AS avg_days_to_close,
    SUM(
      CASE
        WHEN CASE WHEN deals.amount >= 1000 THEN 'large' ELSE 'small' END IN ('large')
        THEN deals.amount
      END
    ) AS large_deal_value
  FROM deals
  GROUP BY
    CASE WHEN deals.amount >= 1000 THEN 'large' ELSE 'small' END
) AS g0
ORDER BY
  avg_days_to_close DESC,
  deal_size ASC
