SELECT
  g0.date__month AS date__month,
  CAST(g0.revenue AS DOUBLE) / NULLIF((
    CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
  ), 0) AS arpu,
  g0.new_subscribers - g0.churned_subscribers AS net_adds,
  (
    CAST(g0.complaints AS DOUBLE) / NULLIF((
      CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
    ), 0)
  ) * 10000 AS complaint_rate
FROM (
  SELECT
    TRUNC(fact_daily.`date`, 'MONTH') AS date__month,
    SUM(fact_daily.revenue) AS revenue,
    SUM(fact_daily.active_subscribers) AS active_subscriber_days,
    COUNT(DISTINCT fact_daily.`date`) AS days_with_data,
    SUM(fact_daily.new_subscribers) AS new_subscribers,
    SUM(fact_daily.churned_subscribers) AS churned_subscribers,
    SUM(fact_daily.complaints) AS complaints
  FROM fact_daily
  WHERE
    fact_daily.`date` BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
  GROUP BY
    TRUNC(fact_daily.`date`, 'MONTH')
) AS g0
ORDER BY
  date__month ASC NULLS LAST
