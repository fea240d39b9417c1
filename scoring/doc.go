// Package scoring turns a checklist, the answers given for its items and the outcomes of the
// probes that evidence them into item levels, domain scores and maturity levels, an overall
// CQC-style rating, and a national league table. It is pure: no I/O, no clock, no globals.
// It deliberately does not import probes or evidence; callers translate into the small input
// types defined here.
//
// The rules are written out, with their reasons, in docs/scoring.md; this comment is their
// summary. Every threshold is a named constant in score.go.
//
// # Items
//
// An item's status is one of answered, not-applicable, not-reviewed, waived or error. A waiver
// needs a reason and an expiry date; on or after that date it counts as not reviewed. Probe
// outcomes use the verdict vocabulary: pass, warn and fail are judgements; info, skip,
// not-applicable and error never count as a pass or a fail. A probe the assessment did not
// point at the endpoint it needs (Input.Unprobed) is "not probed".
//
// Every scored item carries the strength of its evidence: verified by probe, observed by the
// inspector, attested by the trust (a self-assessed answer citing a document) or self-reported.
//
//	probes judged, one fails or warns  → capped at the worst: critical/high fail 1,
//	                                     medium/low fail 2, warn or info fail 3; over-claimed
//	probes judged, every one passes    → the claim stands (level 4 included); never over-claimed
//	probes linked, none judged         → unverified, counted at most at UnverifiedCap (2)
//	a linked probe not probed          → unverified; at most what its failure would give
//	self-reported claim                → counted at most at SelfReportedCap (3)
//	no answer, probes judged           → scored from the probes alone (at most 3)
//	applicable, nothing assessed       → counts at NotAssessedLevel (1) in every figure
//
// "Over-claimed" means a probe contradicted the claim, nothing else.
//
// # Scores
//
// An item at level L scores L/4 × 100 %, the CQC single assessment framework's own method. A
// domain's percentage is the weight-weighted mean of its applicable items (not assessed and
// waived ones at level 1); the overall percentage is the plain mean of the domains. Items
// tagged with an interoperability layer are scored per layer the same way.
//
// # Domain maturity level (1–5, gated)
//
//	1 Initial      at least one item answered
//	2 Developing   no answered item at level 1
//	3 Established  every mandatory item (for the organisation type) answered and at level 3 or more
//	4 Managed      every answered item at level 3 or more, and no applicable item left
//	               not reviewed or in error
//	5 Leading      every answered item at level 4, and no item waived
//
// # Rating
//
// The overall percentage is rounded and banded: 88 % and over Outstanding, 63–87 % Good,
// 39–62 % Requires improvement, 38 % and under Inadequate. Limiters: a mandatory item at level 1
// or waived, or a critical item at level 1, caps the rating at Requires improvement; a serious finding (a failed probe on
// the documented list, SeriousChecks) makes it Inadequate and flags the assessment for Warning
// Notice consideration (section 29A for NHS trusts, 29 for other registered providers). Nothing
// else flags a notice.
//
// The outcome is Not rated — the percentage shown as provisional — when fewer than
// CompletenessThreshold (90 %) of applicable items were assessed, when a mandatory item was not
// assessed, or when the rating would differ at the worst the missing evidence
// allows (untested items at the level their probes' failure would give, unanswered items at 1,
// untested serious checks as failed). So removing evidence never raises a rating.
//
// # Completeness
//
// An assessment is complete when every applicable item was assessed (scored or waived) and
// every probe those items link gave a result on the endpoint it needs; otherwise incomplete.
//
// # League
//
// League scores are overall percentages rounded to one decimal place, so that ranks agree with
// the figures printed. Ranks are competition ranks (ties share a rank: 1, 2, 2, 4). The
// percentile rank of a score within a group is (below + ½·equal) / n × 100. Quartile cut points
// use linear interpolation between order statistics (Excel QUARTILE.INC); an organisation is in
// quartile 4 (top) when its score is at least Q3, 3 at least the median, 2 at least Q1, else 1.
// Peer groups are organisation type × region. Unrated organisations are listed last, unranked.
package scoring
