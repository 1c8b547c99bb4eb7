SELECT
  g0.province AS province,
  g0.revenue AS revenue
FROM (
  SELECT
    dim_region.province AS province,
    SUM(fact_daily.revenue) AS revenue
  FROM fact_daily
  LEFT JOIN dim_region
    ON fact_daily.city_id = dim_region.city_id
  WHERE
    fact_daily.`date` BETWEEN CAST('2025-11-01' AS DATE) AND CAST('2025-11-30' AS DATE)
  GROUP BY
    dim_region.province
) AS g0
ORDER BY
  revenue DESC,
  province ASC NULLS LAST
