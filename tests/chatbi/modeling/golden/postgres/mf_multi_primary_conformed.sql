SELECT
  g0.state_code AS state_code,
  g0.deals AS deals
FROM (
  SELECT
    companies.state_code AS state_code,
    COUNT(*) AS deals
  FROM deals
  LEFT JOIN companies
    ON deals.company_id = companies.company_id
  GROUP BY
    companies.state_code
) AS g0
ORDER BY
  deals DESC NULLS LAST,
  state_code ASC
