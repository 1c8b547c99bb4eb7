SELECT
  cur.region AS region,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.region AS region,
    g0.revenue AS revenue
  FROM (
    SELECT
      dim_region.region AS region,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    LEFT JOIN dim_region
      ON fact_daily.city_id = dim_region.city_id
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-11-01' AS DATE) AND CAST('2025-11-30' AS DATE)
    GROUP BY
      dim_region.region
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.region AS region,
    g0.revenue AS revenue
  FROM (
    SELECT
      dim_region.region AS region,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    LEFT JOIN dim_region
      ON fact_daily.city_id = dim_region.city_id
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-10-01' AS DATE) AND CAST('2025-10-31' AS DATE)
    GROUP BY
      dim_region.region
  ) AS g0
) AS prev
  ON cur.region = prev.region
ORDER BY
  revenue DESC,
  region ASC NULLS LAST
