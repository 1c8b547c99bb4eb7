SELECT
  *,
  LEAD(w.call_drop_rate) OVER (ORDER BY w.call_drop_rate ASC, w.vendor ASC) AS call_drop_rate__runner_up,
  LEAD(w.vendor) OVER (ORDER BY w.call_drop_rate ASC, w.vendor ASC) AS vendor__runner_up
FROM (
  SELECT
    g0.vendor AS vendor,
    CAST(g0.dropped_calls AS DOUBLE) / NULLIF(g0.call_attempts, 0) AS call_drop_rate
  FROM (
    SELECT
      fact_network_daily.vendor AS vendor,
      SUM(fact_network_daily.dropped_calls) AS dropped_calls,
      SUM(fact_network_daily.call_attempts) AS call_attempts
    FROM fact_network_daily
    WHERE
      fact_network_daily."date" BETWEEN CAST('2025-07-01' AS DATE) AND CAST('2025-09-30' AS DATE)
    GROUP BY
      fact_network_daily.vendor
  ) AS g0
) AS w
ORDER BY
  call_drop_rate ASC
LIMIT 1
