SELECT
  dim_plan.plan_type AS plan_type,
  dim_plan.plan_name AS plan
FROM dim_plan
GROUP BY
  dim_plan.plan_type,
  dim_plan.plan_name
ORDER BY
  plan_type ASC NULLS LAST,
  plan ASC NULLS LAST
