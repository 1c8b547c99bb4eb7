SELECT
  cur.date__quarter AS date__quarter,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE PRECISION) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__quarter AS date__quarter,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_TRUNC('QUARTER', fact_daily."date") AS date__quarter,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      DATE_TRUNC('QUARTER', fact_daily."date")
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__quarter AS date__quarter,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_TRUNC('DAY', DATE_TRUNC('QUARTER', fact_daily."date") + INTERVAL '3 MONTH') AS date__quarter,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      DATE_TRUNC('DAY', DATE_TRUNC('QUARTER', fact_daily."date") + INTERVAL '3 MONTH')
  ) AS g0
) AS prev
  ON cur.date__quarter = prev.date__quarter
ORDER BY
  date__quarter ASC
