SELECT
  *
FROM (
  SELECT
    g0.city AS city,
    CAST((
      CAST(g0.churned_subscribers AS REAL) / NULLIF((
        CAST(g0.active_subscriber_days AS REAL) / NULLIF(g0.days_with_data, 0)
      ), 0)
    ) AS REAL) / NULLIF(g0.__months_fact_daily, 0) AS churn_rate
  FROM (
    SELECT
      dim_region.city AS city,
      SUM(fact_daily.churned_subscribers) AS churned_subscribers,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data,
      COUNT(DISTINCT DATE(fact_daily."date", 'start of month')) AS __months_fact_daily
    FROM fact_daily
    LEFT JOIN dim_region
      ON fact_daily.city_id = dim_region.city_id
    WHERE
      fact_daily."date" BETWEEN '2025-01-01' AND '2025-12-31'
    GROUP BY
      dim_region.city
  ) AS g0
) AS q
WHERE
  q.churn_rate > 0.02
ORDER BY
  churn_rate DESC,
  city ASC NULLS LAST
