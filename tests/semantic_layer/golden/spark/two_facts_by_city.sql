SELECT
  COALESCE(g0.city, g1.city) AS city,
  g0.revenue AS revenue,
  CAST(g1.dropped_calls AS DOUBLE) / NULLIF(g1.call_attempts, 0) AS call_drop_rate
FROM (
  SELECT
    dim_region.city AS city,
    SUM(fact_daily.revenue) AS revenue
  FROM fact_daily
  LEFT JOIN dim_region
    ON fact_daily.city_id = dim_region.city_id
  WHERE
    dim_region.province IN ('广东')
    AND fact_daily.`date` BETWEEN CAST('2025-08-01' AS DATE) AND CAST('2025-08-31' AS DATE)
  GROUP BY
    dim_region.city
) AS g0
FULL OUTER JOIN (
  SELECT
    dim_region.city AS city,
    SUM(fact_network_daily.dropped_calls) AS dropped_calls,
    SUM(fact_network_daily.call_attempts) AS call_attempts
  FROM fact_network_daily
  LEFT JOIN dim_region
    ON fact_network_daily.city_id = dim_region.city_id
  WHERE
    dim_region.province IN ('广东')
    AND fact_network_daily.`date` BETWEEN CAST('2025-08-01' AS DATE) AND CAST('2025-08-31' AS DATE)
  GROUP BY
    dim_region.city
) AS g1
  ON g0.city = g1.city
ORDER BY
  revenue DESC,
  city ASC NULLS LAST
