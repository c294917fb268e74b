-- Q1 by hand: the page of 25 commitments with lead institution and policy
-- areas, as one JSON document, in one statement (the database's limit for
-- what Q1 asks).
SELECT json_agg(page) FROM (
  SELECT c.code, t.title,
    (SELECT it.name FROM institution_translation it
      WHERE it.institution_id = c.lead_institution_id AND it.language = 'en') AS lead_institution,
    (SELECT json_agg(pa.name ORDER BY pa.name) FROM commitment_policy_area cpa
      JOIN policy_area pa ON pa.id = cpa.policy_area_id
      WHERE cpa.commitment_id = c.id) AS policy_areas
  FROM commitment c
  JOIN commitment_translation t ON t.commitment_id = c.id AND t.language = 'en'
  ORDER BY c.code
  LIMIT 25
) page;
