SELECT
  cur.date__year AS date__year,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE PRECISION) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__year AS date__year,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_TRUNC('YEAR', fact_daily."date") AS date__year,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
    GROUP BY
      DATE_TRUNC('YEAR', fact_daily."date")
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__year AS date__year,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_TRUNC('DAY', DATE_TRUNC('YEAR', fact_daily."date") + INTERVAL '1 YEAR') AS date__year,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN CAST('2024-01-01' AS DATE) AND CAST('2024-12-31' AS DATE)
    GROUP BY
      DATE_TRUNC('DAY', DATE_TRUNC('YEAR', fact_daily."date") + INTERVAL '1 YEAR')
  ) AS g0
) AS prev
  ON cur.date__year = prev.date__year
ORDER BY
  date__year ASC
