SELECT
  g0.province AS province,
  CAST((
    CAST(g0.revenue AS DOUBLE) / NULLIF((
      CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
    ), 0)
  ) AS DOUBLE) / NULLIF(g0.__months_fact_daily, 0) AS arpu,
  g0.revenue AS revenue
FROM (
  SELECT
    dim_region.province AS province,
    SUM(fact_daily.revenue) AS revenue,
    SUM(fact_daily.active_subscribers) AS active_subscriber_days,
    COUNT(DISTINCT fact_daily."date") AS days_with_data,
    COUNT(DISTINCT DATE_TRUNC('MONTH', fact_daily."date")) AS __months_fact_daily
  FROM fact_daily
  LEFT JOIN dim_region
    ON fact_daily.city_id = dim_region.city_id
  WHERE
    fact_daily."date" BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
  GROUP BY
    dim_region.province
) AS g0
ORDER BY
  arpu DESC,
  province ASC
