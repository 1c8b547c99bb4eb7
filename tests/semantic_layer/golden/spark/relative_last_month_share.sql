SELECT
  *,
  CAST(q.revenue AS DOUBLE) / NULLIF((
    SUM(q.revenue) OVER ()
  ), 0) AS revenue__share
FROM (
  SELECT
    g0.channel AS channel,
    g0.revenue AS revenue
  FROM (
    SELECT
      fact_daily.channel AS channel,
      SUM(fact_daily.revenue) AS revenue
    FROM fact_daily
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-11-01' AS DATE) AND CAST('2025-11-30' AS DATE)
    GROUP BY
      fact_daily.channel
  ) AS g0
) AS q
ORDER BY
  revenue DESC,
  channel ASC NULLS LAST
