SELECT
  cur.date__quarter AS date__quarter,
  cur.churn_rate AS churn_rate,
  prev.churn_rate AS churn_rate__previous,
  cur.churn_rate - prev.churn_rate AS churn_rate__change,
  CAST((
    cur.churn_rate - prev.churn_rate
  ) AS REAL) / NULLIF(ABS(prev.churn_rate), 0) AS churn_rate__change_pct
FROM (
  SELECT
    g0.date__quarter AS date__quarter,
    CAST((
      CAST(g0.churned_subscribers AS REAL) / NULLIF((
        CAST(g0.active_subscriber_days AS REAL) / NULLIF(g0.days_with_data, 0)
      ), 0)
    ) AS REAL) / NULLIF(g0.__months_fact_daily, 0) AS churn_rate
  FROM (
    SELECT
      DATE(
        fact_daily."date",
        'start of month',
        PRINTF('-%d months', (
          CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
        ) % 3)
      ) AS date__quarter,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data,
      COUNT(DISTINCT DATE(fact_daily."date", 'start of month')) AS __months_fact_daily
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2025-01-01' AND '2025-12-31'
    GROUP BY
      DATE(
        fact_daily."date",
        'start of month',
        PRINTF('-%d months', (
          CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
        ) % 3)
      )
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__quarter AS date__quarter,
    CAST((
      CAST(g0.churned_subscribers AS REAL) / NULLIF((
        CAST(g0.active_subscriber_days AS REAL) / NULLIF(g0.days_with_data, 0)
      ), 0)
    ) AS REAL) / NULLIF(g0.__months_fact_daily, 0) AS churn_rate
  FROM (
    SELECT
      DATE(
        DATE(
          fact_daily."date",
          'start of month',
          PRINTF('-%d months', (
            CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
          ) % 3)
        ),
        '+1 years'
      ) AS date__quarter,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data,
      COUNT(DISTINCT DATE(fact_daily."date", 'start of month')) AS __months_fact_daily
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2024-01-01' AND '2024-12-31'
    GROUP BY
      DATE(
        DATE(
          fact_daily."date",
          'start of month',
          PRINTF('-%d months', (
            CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
          ) % 3)
        ),
        '+1 years'
      )
  ) AS g0
) AS prev
  ON cur.date__quarter = prev.date__quarter
ORDER BY
  date__quarter ASC NULLS LAST
