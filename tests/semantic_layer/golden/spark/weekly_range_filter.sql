SELECT
  g0.date__week AS date__week,
  g0.dropped_calls AS dropped_calls
FROM (
  SELECT
    TRUNC(fact_network_daily.`date`, 'WEEK') AS date__week,
    SUM(fact_network_daily.dropped_calls) AS dropped_calls
  FROM fact_network_daily
  WHERE
    fact_network_daily.`date` BETWEEN CAST('2025-08-01' AS DATE) AND CAST('2025-08-31' AS DATE)
    AND fact_network_daily.vendor IN ('厂商B')
  GROUP BY
    TRUNC(fact_network_daily.`date`, 'WEEK')
) AS g0
ORDER BY
  date__week ASC NULLS LAST
