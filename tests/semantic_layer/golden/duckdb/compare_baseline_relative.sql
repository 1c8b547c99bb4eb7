SELECT
  cur.province AS province,
  cur.arpu AS arpu,
  prev.arpu AS arpu__previous,
  cur.arpu - prev.arpu AS arpu__change,
  CAST((
    cur.arpu - prev.arpu
  ) AS DOUBLE) / NULLIF(ABS(prev.arpu), 0) AS arpu__change_pct
FROM (
  SELECT
    g0.province AS province,
    CAST(g0.revenue AS DOUBLE) / NULLIF((
      CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
    ), 0) AS arpu
  FROM (
    SELECT
      dim_region.province AS province,
      SUM(fact_daily.revenue) AS revenue,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data
    FROM fact_daily
    LEFT JOIN dim_region
      ON fact_daily.city_id = dim_region.city_id
    WHERE
      fact_daily."date" BETWEEN CAST('2025-12-01' AS DATE) AND CAST('2025-12-31' AS DATE)
    GROUP BY
      dim_region.province
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.province AS province,
    CAST(g0.revenue AS DOUBLE) / NULLIF((
      CAST(g0.active_subscriber_days AS DOUBLE) / NULLIF(g0.days_with_data, 0)
    ), 0) AS arpu
  FROM (
    SELECT
      dim_region.province AS province,
      SUM(fact_daily.revenue) AS revenue,
      SUM(fact_daily.active_subscribers) AS active_subscriber_days,
      COUNT(DISTINCT fact_daily."date") AS days_with_data
    FROM fact_daily
    LEFT JOIN dim_region
      ON fact_daily.city_id = dim_region.city_id
    WHERE
      fact_daily."date" BETWEEN CAST('2025-11-01' AS DATE) AND CAST('2025-11-30' AS DATE)
    GROUP BY
      dim_region.province
  ) AS g0
) AS prev
  ON cur.province = prev.province
ORDER BY
  arpu DESC,
  province ASC
