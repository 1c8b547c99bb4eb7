SELECT
  cur.date__week AS date__week,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__week AS date__week,
    g0.revenue AS revenue
  FROM (
    SELECT
      TRUNC(fact_daily.`date`, 'WEEK') AS date__week,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      TRUNC(fact_daily.`date`, 'WEEK')
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__week AS date__week,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_ADD(TRUNC(fact_daily.`date`, 'WEEK'), 364) AS date__week,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      DATE_ADD(TRUNC(fact_daily.`date`, 'WEEK'), 364)
  ) AS g0
) AS prev
  ON cur.date__week = prev.date__week
ORDER BY
  date__week ASC NULLS LAST
