SELECT
  cur.date__year AS date__year,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS REAL) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__year AS date__year,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(fact_daily."date", 'start of year') AS date__year,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2025-01-01' AND '2025-12-31'
    GROUP BY
      DATE(fact_daily."date", 'start of year')
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__year AS date__year,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(DATE(fact_daily."date", 'start of year'), '+1 years') AS date__year,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2024-01-01' AND '2024-12-31'
    GROUP BY
      DATE(DATE(fact_daily."date", 'start of year'), '+1 years')
  ) AS g0
) AS prev
  ON cur.date__year = prev.date__year
ORDER BY
  date__year ASC NULLS LAST
