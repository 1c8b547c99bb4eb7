SELECT
  cur.date__month AS date__month,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS REAL) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__month AS date__month,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(fact_daily."date", 'start of month') AS date__month,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2025-07-01' AND '2025-09-30'
    GROUP BY
      DATE(fact_daily."date", 'start of month')
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__month AS date__month,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(DATE(fact_daily."date", 'start of month'), '+3 months') AS date__month,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2025-04-01' AND '2025-06-30'
    GROUP BY
      DATE(DATE(fact_daily."date", 'start of month'), '+3 months')
  ) AS g0
) AS prev
  ON cur.date__month = prev.date__month
ORDER BY
  date__month ASC NULLS LAST
