SELECT
  cur.date__day AS date__day,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS DOUBLE) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__day AS date__day,
    g0.revenue AS revenue
  FROM (
    SELECT
      fact_daily.`date` AS date__day,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-03-01' AS DATE) AND CAST('2025-03-14' AS DATE)
    GROUP BY
      fact_daily.`date`
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__day AS date__day,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE_ADD(fact_daily.`date`, 1) AS date__day,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-02-28' AS DATE) AND CAST('2025-03-13' AS DATE)
    GROUP BY
      DATE_ADD(fact_daily.`date`, 1)
  ) AS g0
) AS prev
  ON cur.date__day = prev.date__day
ORDER BY
  date__day ASC NULLS LAST
