SELECT
  cur.date__day AS date__day,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS REAL) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__day AS date__day,
    g0.revenue AS revenue
  FROM (
    SELECT
      fact_daily."date" AS date__day,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2025-03-01' AND '2025-03-14'
    GROUP BY
      fact_daily."date"
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__day AS date__day,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(fact_daily."date", '+1 years') AS date__day,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily."date" BETWEEN '2024-03-01' AND '2024-03-14'
    GROUP BY
      DATE(fact_daily."date", '+1 years')
  ) AS g0
) AS prev
  ON cur.date__day = prev.date__day
ORDER BY
  date__day ASC NULLS LAST
