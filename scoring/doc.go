// Package scoring turns a checklist, the answers given for its items and the outcomes of the
// probes that evidence them into item levels, domain scores and maturity levels, an overall
// CQC-style rating, and a national league table. It is pure: no I/O, no clock, no globals.
// It deliberately does not import probes or evidence; callers translate into the small input
// types defined here.
//
// # Items
//
// An item's status is one of answered, not-applicable, not-reviewed, waived or error. Only
// answered items are scored; the rest are reported and never count as a pass. A waiver needs a
// reason and an expiry date; on or after that date it counts as not reviewed. An explicit
// not-reviewed or error claim on a probe-linked item lets the probes score it, as if no claim
// had been made.
//
// Probe outcomes pass, fail and warn are decisive; skip and error never count as a pass or a
// fail. The worst decisive outcome among an item's probes gives the level the probes verify:
//
//	fail, severity critical or high   → 1 (not achieved)
//	fail, severity medium or low      → 2 (partially achieved)
//	fail, severity info; any warn     → 3 (achieved, with a concern)
//	every decisive outcome a pass     → 3, or 4 when the claim is 4 and inspector-verified
//
// Probes test the technical part of an item, so they can confirm "achieved" but not "exceeds"
// on their own: level 4 needs an inspector to have seen it. The verified level caps the claim:
// final = min(claimed, verified), and gap = claimed − verified (positive means over-claimed).
// A probe-linked item without a claim is scored from its probes alone (provenance
// probe-verified). A probe-linked item whose probes were all skipped, errored or not run keeps
// its claimed level and is marked unverified.
//
// # Scores
//
// An item at level L scores L/4 × 100 %: 1 → 25 %, 2 → 50 %, 3 → 75 %, 4 → 100 %. This is the
// CQC single assessment framework's own method (statement scores summed as a share of the
// maximum, so the floor is 25 %), and the CQC percentage bands below are calibrated on it: a
// provider with "some shortfalls" (2) everywhere lands in Requires improvement and one at "good
// standard" (3) everywhere in Good. The alternative (L−1)/3 mapping would put an organisation
// partially achieving everything into Inadequate.
//
// A domain's percentage is the weight-weighted mean of its answered items' scores; items that
// are not answered are left out. A domain with nothing answered has no percentage and level 0.
// The overall percentage is the plain mean of the scored domains' percentages: domains weigh
// equally, as CQC weighs its key questions equally, so a domain with many items does not drown
// the others (OpenSCAP's default model normalises each group the same way).
//
// Items tagged with an interoperability layer (foundational, structural, semantic,
// organisational) are also scored per layer, the same weighted way, so a report can show an
// organisation strong technically but weak organisationally.
//
// # Domain maturity level (1–5, gated)
//
// Each level needs every condition of the levels below it:
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
// The overall percentage is rounded to a whole number and banded: 88 % and over Outstanding,
// 63–87 % Good, 39–62 % Requires improvement, 38 % and under Inadequate. With the mapping above
// the score cannot fall below 25 %; should it (a future mapping), it is Inadequate too. With no
// answered item at all the assessment is not rated. Limiters then apply, in this order:
//   - a mandatory item (for the organisation type) at level 1 caps the rating at Requires
//     improvement;
//   - a critical failure — any failed probe of severity critical (whether or not an item links
//     it, and even on a waived or not-applicable item: waivers apply to items, not to evidence)
//     or an answered item marked critical at level 1 — makes the rating Inadequate and flags the
//     assessment for Warning Notice consideration (section 29A for NHS trusts, section 29 for
//     other registered providers). The tool flags; only the regulator issues notices.
//
// # Completeness
//
// Completeness is the share of applicable (not not-applicable) items that were scored. An
// assessment is flagged incomplete when any applicable item is not reviewed or in error, or when
// nothing applicable was assessed. Waived items lower the share but, being a recorded decision,
// do not raise the flag.
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
