SELECT
  deals.deal_stage AS deal_stage,
  companies.company_name AS company_name
FROM deals
LEFT JOIN companies
  ON deals.company_id = companies.company_id
GROUP BY
  deals.deal_stage,
  companies.company_name
ORDER BY
  deal_stage ASC,
  company_name ASC
