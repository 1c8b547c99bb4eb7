SELECT
  g0.company_state_code AS company_state_code,
  g0.deals AS deals
FROM (
  SELECT
    company_addresses.state_code AS company_state_code,
    COUNT(*) AS deals
  FROM deals
  LEFT JOIN company_addresses
    ON deals.company_id = company_addresses.company_id
  GROUP BY
    company_addresses.state_code
) AS g0
ORDER BY
  deals DESC NULLS LAST,
  company_state_code ASC
