-- Q2 by hand: Q1 with every milestone and the 10 newest published comments
-- of each commitment, as one JSON document, in one statement.
SELECT json_agg(page) FROM (
  SELECT c.code, t.title,
    (SELECT it.name FROM institution_translation it
      WHERE it.institution_id = c.lead_institution_id AND it.language = 'en') AS lead_institution,
    (SELECT json_agg(pa.name ORDER BY pa.name) FROM commitment_policy_area cpa
      JOIN policy_area pa ON pa.id = cpa.policy_area_id
      WHERE cpa.commitment_id = c.id) AS policy_areas,
    (SELECT json_agg(json_build_object('position', m.position, 'title', mt.title,
                                       'end_date', m.end_date, 'status', m.status) ORDER BY m.position)
      FROM milestone m
      LEFT JOIN milestone_translation mt ON mt.milestone_id = m.id AND mt.language = 'en'
      WHERE m.commitment_id = c.id) AS milestones,
    (SELECT json_agg(f) FROM (
      SELECT id, kind, body, created_at FROM feedback
      WHERE commitment_id = c.id AND status = 'published' AND parent_id IS NULL
      ORDER BY id DESC LIMIT 10) f) AS feedback
  FROM commitment c
  JOIN commitment_translation t ON t.commitment_id = c.id AND t.language = 'en'
  ORDER BY c.code
  LIMIT 25
) page;
