SELECT
  g0.date__week AS date__week,
  g0.dropped_calls AS dropped_calls
FROM (
  SELECT
    DATE(fact_network_daily."date", 'weekday 0', '-6 days') AS date__week,
    SUM(fact_network_daily.dropped_calls) AS dropped_calls
  FROM fact_network_daily
  WHERE
    fact_network_daily."date" BETWEEN '2025-08-01' AND '2025-08-31'
    AND fact_network_daily.vendor IN ('厂商B')
  GROUP BY
    DATE(fact_network_daily."date", 'weekday 0', '-6 days')
) AS g0
ORDER BY
  date__week ASC NULLS LAST
