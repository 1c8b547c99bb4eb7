SELECT
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct,
  cur.churn_rate AS churn_rate,
  prev.churn_rate AS churn_rate__previous,
  cur.churn_rate - prev.churn_rate AS churn_rate__change,
  CAST((
    cur.churn_rate - prev.churn_rate
  ) AS DOUBLE) / NULLIF(ABS(prev.churn_rate), 0) AS churn_rate__change_pct
FROM (
  SELECT
    g0.revenue AS revenue,
    CAST(g0.churned_subscribers AS DOUBLE) / NULLIF((
      CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
    ), 0) AS churn_rate
  FROM (
    SELECT
      SUM(fact_daily.revenue) AS revenue,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN CAST('2025-11-01' AS DATE) AND CAST('2025-11-30' AS DATE)
  ) AS g0
) AS cur
CROSS JOIN (
  SELECT
    g0.revenue AS revenue,
    CAST(g0.churned_subscribers AS DOUBLE) / NULLIF((
      CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
    ), 0) AS churn_rate
  FROM (
    SELECT
      SUM(fact_daily.revenue) AS revenue,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN CAST('2025-10-01' AS DATE) AND CAST('2025-10-31' AS DATE)
  ) AS g0
) AS prev
