SELECT
  companies.company_name AS company_name
FROM companies
GROUP BY
  companies.company_name
ORDER BY
  company_name ASC
