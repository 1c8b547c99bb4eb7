SELECT
  cur.date__quarter AS date__quarter,
  cur.churn_rate AS churn_rate,
  prev.churn_rate AS churn_rate__previous,
  cur.churn_rate - prev.churn_rate AS churn_rate__change,
  CAST((
    cur.churn_rate - prev.churn_rate
  ) AS DOUBLE) / NULLIF(ABS(prev.churn_rate), 0) AS churn_rate__change_pct
FROM (
  SELECT
    g0.date__quarter AS date__quarter,
    CAST((
      CAST(g0.churned_subscribers AS DOUBLE) / NULLIF((
        CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
      ), 0)
    ) AS DOUBLE) / NULLIF(g0.__months_fact_daily, 0) AS churn_rate
  FROM (
    SELECT
      TRUNC(fact_daily.`date`, 'QUARTER') AS date__quarter,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily.`date`) AS days_with_data,
      COUNT(DISTINCT TRUNC(fact_daily.`date`, 'MONTH')) AS __months_fact_daily
    FROM fact_daily
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
    GROUP BY
      TRUNC(fact_daily.`date`, 'QUARTER')
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__quarter AS date__quarter,
    CAST((
      CAST(g0.churned_subscribers AS DOUBLE) / NULLIF((
        CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
      ), 0)
    ) AS DOUBLE) / NULLIF(g0.__months_fact_daily, 0) AS churn_rate
  FROM (
    SELECT
      ADD_MONTHS(TRUNC(fact_daily.`date`, 'QUARTER'), 12) AS date__quarter,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily.`date`) AS days_with_data,
      COUNT(DISTINCT TRUNC(fact_daily.`date`, 'MONTH')) AS __months_fact_daily
    FROM fact_daily
    WHERE
      fact_daily.`date` BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-12-31' AS DATE)
    GROUP BY
      ADD_MONTHS(TRUNC(fact_daily.`date`, 'QUARTER'), 12)
  ) AS g0
) AS prev
  ON cur.date__quarter = prev.date__quarter
ORDER BY
  date__quarter ASC NULLS LAST
