SELECT
  cur.date__quarter AS date__quarter,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__quarter AS date__quarter,
    g0.revenue AS revenue
  FROM (
    SELECT
      TRUNC(fact_daily.`date`, 'QUARTER') AS date__quarter,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      TRUNC(fact_daily.`date`, 'QUARTER')
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__quarter AS date__quarter,
    g0.revenue AS revenue
  FROM (
    SELECT
      ADD_MONTHS(TRUNC(fact_daily.`date`, 'QUARTER'), 3) AS date__quarter,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      ADD_MONTHS(TRUNC(fact_daily.`date`, 'QUARTER'), 3)
  ) AS g0
) AS prev
  ON cur.date__quarter = prev.date__quarter
ORDER BY
  date__quarter ASC NULLS LAST
