SELECT
  *,
  LEAD(w.revenue) OVER (ORDER BY w.revenue DESC NULLS LAST, w.province ASC) AS revenue__runner_up,
  LEAD(w.province) OVER (ORDER BY w.revenue DESC NULLS LAST, w.province ASC) AS province__runner_up
FROM (
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
      fact_daily."date" BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
    GROUP BY
      dim_region.province
  ) AS g0
) AS w
ORDER BY
  revenue DESC NULLS LAST
LIMIT 1
