SELECT
  g0.date__quarter AS date__quarter,
  g0.plan_type AS plan_type,
  g0.active_subscribers AS active_subscribers
FROM (
  SELECT
    d.date__quarter,
    d.plan_type,
    SUM(d.active_subscribers) AS active_subscribers
  FROM (
    SELECT
      TRUNC(fact_daily.`date`, 'QUARTER') AS date__quarter,
      dim_plan.plan_type AS plan_type,
      fact_daily.`date` AS _t,
      SUM(fact_daily.active_subscribers) AS active_subscribers,
      MAX(fact_daily.`date`) OVER (PARTITION BY TRUNC(fact_daily.`date`, 'QUARTER')) AS _edge
    FROM fact_daily
    LEFT JOIN dim_plan
      ON fact_daily.plan_id = dim_plan.plan_id
    WHERE
      fact_daily.`date` BETWEEN CAST('2025-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
    GROUP BY
      TRUNC(fact_daily.`date`, 'QUARTER'),
      dim_plan.plan_type,
      fact_daily.`date`
  ) AS d
  WHERE
    d._t = d._edge
  GROUP BY
    d.date__quarter,
    d.plan_type
) AS g0
ORDER BY
  date__quarter ASC NULLS LAST,
  plan_type ASC NULLS LAST
