SELECT
  cur.date__quarter AS date__quarter,
  cur.revenue AS revenue,
  prev.revenue AS revenue__previous,
  cur.revenue - prev.revenue AS revenue__change,
  CAST((
    cur.revenue - prev.revenue
  ) AS REAL) / NULLIF(ABS(prev.revenue), 0) AS revenue__change_pct
FROM (
  SELECT
    g0.date__quarter AS date__quarter,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(
        fact_daily."date",
        'start of month',
        PRINTF('-%d months', (
          CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
        ) % 3)
      ) AS date__quarter,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      DATE(
        fact_daily."date",
        'start of month',
        PRINTF('-%d months', (
          CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
        ) % 3)
      )
  ) AS g0
) AS cur
LEFT JOIN (
  SELECT
    g0.date__quarter AS date__quarter,
    g0.revenue AS revenue
  FROM (
    SELECT
      DATE(
        DATE(
          fact_daily."date",
          'start of month',
          PRINTF('-%d months', (
            CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
          ) % 3)
        ),
        '+3 months'
      ) AS date__quarter,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    GROUP BY
      DATE(
        DATE(
          fact_daily."date",
          'start of month',
          PRINTF('-%d months', (
            CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
          ) % 3)
        ),
        '+3 months'
      )
  ) AS g0
) AS prev
  ON cur.date__quarter = prev.date__quarter
ORDER BY
  date__quarter ASC NULLS LAST
