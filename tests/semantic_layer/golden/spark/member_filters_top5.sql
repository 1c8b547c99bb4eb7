SELECT
  g0.city AS city,
  g0.new_subscribers AS new_subscribers
FROM (
  SELECT
    dim_region.city AS city,
    SUM(fact_daily.new_subscribers) AS new_subscribers
  FROM fact_daily
  LEFT JOIN dim_region
    ON fact_daily.city_id = dim_region.city_id
  LEFT JOIN dim_plan
    ON fact_daily.plan_id = dim_plan.plan_id
  WHERE
    NOT fact_daily.channel IN ('线上') AND dim_plan.plan_type IN ('5G', '4G')
  GROUP BY
    dim_region.city
) AS g0
ORDER BY
  new_subscribers DESC
LIMIT 5
