-- Rule rows become verdict findings: {name, valid, expected, actual, reference} →
-- {rule_id, title, status, severity, expected, observed, spec_ref}.
UPDATE fleet_observations SET rules_json = (
	SELECT coalesce(json_group_array(json_object(
		'rule_id', json_extract(r.value, '$.name'),
		'title', json_extract(r.value, '$.expected'),
		'status', CASE WHEN json_extract(r.value, '$.valid') THEN 'pass' ELSE 'fail' END,
		'severity', CASE WHEN json_extract(r.value, '$.name') IN ('tlsVersion', 'capStatExist') THEN 'high' ELSE 'medium' END,
		'expected', json_extract(r.value, '$.expected'),
		'observed', json_extract(r.value, '$.actual'),
		'spec_ref', json_extract(r.value, '$.reference'))), '[]')
	FROM json_each(fleet_observations.rules_json) AS r)
WHERE json_valid(rules_json) AND json_type(rules_json) = 'array' AND json_array_length(rules_json) > 0
	AND json_extract(rules_json, '$[0].name') IS NOT NULL;
