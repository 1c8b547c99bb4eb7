SELECT
  cur.date__month AS date__month,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__month AS date__month,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_TRUNC('MONTH', fact_daily."date") AS date__month,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN CAST('2025-07-01' AS DATE) AND CAST('2025-09-30' AS DATE)
    GROUP BY
      DATE_TRUNC('MONTH', fact_daily."date")
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__month AS date__month,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATEADD(MONTH, 3, DATE_TRUNC('MONTH', fact_daily."date")) AS date__month,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN CAST('2025-04-01' AS DATE) AND CAST('2025-06-30' AS DATE)
    GROUP BY
      DATEADD(MONTH, 3, DATE_TRUNC('MONTH', fact_daily."date"))
  ) AS g0
) AS prev
  ON cur.date__month = prev.date__month
ORDER BY
  date__month ASC
