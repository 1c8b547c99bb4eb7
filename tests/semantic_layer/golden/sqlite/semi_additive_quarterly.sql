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
      DATE(
        fact_daily."date",
        'start of month',
        PRINTF('-%d months', (
          CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
        ) % 3)
      ) AS date__quarter,
      dim_plan.plan_type AS plan_type,
      fact_daily."date" AS _t,
      SUM(fact_daily.active_subscribers) AS active_subscribers,
      MAX(fact_daily."date") OVER (
        PARTITION BY DATE(
          fact_daily."date",
          'start of month',
          PRINTF('-%d months', (
            CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
          ) % 3)
        )
      ) AS _edge
    FROM fact_daily
    LEFT JOIN dim_plan
      ON fact_daily.plan_id = dim_plan.plan_id
    WHERE
      fact_daily."date" BETWEEN '2025-01-01' AND '2025-12-31'
    GROUP BY
      DATE(
        fact_daily."date",
        'start of month',
        PRINTF('-%d months', (
          CAST(STRFTIME('%m', fact_daily."date") AS INTEGER) - 1
        ) % 3)
      ),
      dim_plan.plan_type,
      fact_daily."date"
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
