package scoring

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// honest builds an assessment of the built-in checklist in which the trust answers every item
// at level (citing a document) and every linked probe passes. Serious-finding probes are
// critical, GP Connect probes high, everything else medium.
type honest struct {
	cl     *checklist.Checklist
	claims map[string]Claim
	probes map[string]ProbeOutcome
	unprob map[string]Unprobed
}

func probeSeverity(id string) verdict.Severity {
	switch {
	case slices.ContainsFunc(SeriousChecks(), func(c SeriousCheck) bool { return c.ProbeID == id }):
		return sevCritical
	case strings.HasPrefix(id, "gpconnect.") || strings.HasPrefix(id, "transport.tls."):
		return sevHigh
	}
	return sevMedium
}

func newHonest(t *testing.T, level int) *honest {
	t.Helper()
	cl, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	h := &honest{cl: cl, claims: map[string]Claim{}, probes: map[string]ProbeOutcome{}, unprob: map[string]Unprobed{}}
	for _, d := range cl.Domains {
		for _, it := range d.Items {
			h.claims[it.ID] = Claim{ItemID: it.ID, Status: Answered, Level: level, Documents: 1}
			for _, p := range it.Probes {
				h.probes[p] = ProbeOutcome{ProbeID: p, Status: probePass, Severity: probeSeverity(p)}
			}
		}
	}
	return h
}

func (h *honest) set(probe string, status verdict.Status) {
	h.probes[probe] = ProbeOutcome{ProbeID: probe, Status: status, Severity: probeSeverity(probe)}
}

// hideGPConnect is the assessment with no GP Connect endpoint given: its probes are not probed.
func (h *honest) hideGPConnect() {
	for id := range h.probes {
		if strings.HasPrefix(id, "gpconnect.") {
			delete(h.probes, id)
			h.unprob[id] = Unprobed{ProbeID: id, Severity: probeSeverity(id), Reason: "no GP Connect endpoint was given (--gpconnect)"}
		}
	}
}

func (h *honest) score(t *testing.T) Result {
	t.Helper()
	in := Input{Checklist: h.cl, OrgType: checklist.AcuteTrust, AsOf: asOf}
	for _, d := range h.cl.Domains {
		for _, it := range d.Items {
			if c, ok := h.claims[it.ID]; ok {
				in.Claims = append(in.Claims, c)
			}
		}
	}
	var ids []string
	for id := range h.probes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		in.Probes = append(in.Probes, h.probes[id])
	}
	ids = ids[:0]
	for id := range h.unprob {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		in.Unprobed = append(in.Unprobed, h.unprob[id])
	}
	res, err := Score(in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func itemResult(t *testing.T, r Result, id string) ItemResult {
	t.Helper()
	for _, ir := range r.Items {
		if ir.ItemID == id {
			return ir
		}
	}
	t.Fatalf("no item %s", id)
	return ItemResult{}
}

// TestAdversarialAssessments holds the rules against the ways an assessment can be gamed or go
// wrong, each with the outcome it must get.
func TestAdversarialAssessments(t *testing.T) {
	t.Run("honest baseline: every item at 3, every probe passing, is Good and complete", func(t *testing.T) {
		r := newHonest(t, 3).score(t)
		if r.Rating != Good || r.Completeness.Status != CompleteWord || r.WarningNotice.Flagged {
			t.Errorf("rating %s, completeness %s, flagged %v; not rated %q", r.Rating, r.Completeness.Status, r.WarningNotice.Flagged, r.NotRatedReasons)
		}
	})

	t.Run("twelve cherry-picked items at level 4 are Not rated", func(t *testing.T) {
		h := newHonest(t, 4)
		kept := 0
		for _, d := range h.cl.Domains {
			for _, it := range d.Items {
				c := h.claims[it.ID]
				if kept < 12 && len(it.Probes) == 0 {
					c.Provenance = InspectorVerified
					h.claims[it.ID] = c
					kept++
					continue
				}
				delete(h.claims, it.ID)
			}
		}
		h.probes = map[string]ProbeOutcome{}
		r := h.score(t)
		if r.Rating != NotRated || !r.Provisional || r.Completeness.Scored != 12 {
			t.Fatalf("rating %s provisional %v scored %d", r.Rating, r.Provisional, r.Completeness.Scored)
		}
		if !strings.Contains(strings.Join(r.NotRatedReasons, "; "), "only 12 of") {
			t.Errorf("reasons %q do not give the share", r.NotRatedReasons)
		}
		// The provisional figure counts the 60 missing items at level 1: far from Outstanding.
		if r.Percent == nil || *r.Percent >= 50 {
			t.Errorf("provisional percent %v, want under 50", fmtPtr(r.Percent))
		}
	})

	t.Run("no token and no answers is Not rated", func(t *testing.T) {
		h := newHonest(t, 3)
		h.claims = map[string]Claim{}
		for id := range h.probes {
			// Without a token only unauthenticated checks judge; the rest cannot test.
			if !strings.HasPrefix(id, "transport.") && !strings.HasPrefix(id, "security.auth.") {
				h.set(id, probeError)
			}
		}
		r := h.score(t)
		if r.Rating != NotRated || r.Completeness.Status != IncompleteWord {
			t.Errorf("rating %s, completeness %s", r.Rating, r.Completeness.Status)
		}
	})

	t.Run("hiding the GP Connect endpoint never raises the rating", func(t *testing.T) {
		with := newHonest(t, 3)
		with.set("gpconnect.headers.ssp-to", probeFail) // high: NAT-03 (mandatory) verified at 1
		rWith := with.score(t)
		if rWith.Rating != RequiresImprovement {
			t.Fatalf("with GP Connect: %s (%q), want Requires improvement", rWith.Rating, rWith.Limiters)
		}
		hidden := newHonest(t, 3)
		hidden.hideGPConnect()
		rHidden := hidden.score(t)
		if rHidden.Rating.Rank() > rWith.Rating.Rank() || *rHidden.Percent > *rWith.Percent {
			t.Errorf("hidden %s %.2f > with %s %.2f", rHidden.Rating, *rHidden.Percent, rWith.Rating, *rWith.Percent)
		}
		nat := itemResult(t, rHidden, "NAT-03")
		if !nat.Unverified || nat.Final > UnverifiedCap || nat.Evidence != AttestedByTrust {
			t.Errorf("NAT-03 hidden = %+v", nat)
		}
		if !strings.Contains(strings.Join(rHidden.Limitations, "; "), "no GP Connect endpoint was given") {
			t.Errorf("limitations %q do not name the missing endpoint", rHidden.Limitations)
		}
		if rHidden.Completeness.Status != IncompleteWord {
			t.Errorf("hidden endpoint left the assessment %s", rHidden.Completeness.Status)
		}
	})

	t.Run("every probe erroring cannot keep a level-4 claim", func(t *testing.T) {
		h := newHonest(t, 4)
		for id := range h.probes {
			h.set(id, probeError)
		}
		r := h.score(t)
		if r.Rating != NotRated {
			t.Errorf("rating %s, want Not rated (%q)", r.Rating, r.Limiters)
		}
		for _, ir := range r.Items {
			if len(ir.Probes) > 0 && (!ir.Unverified || ir.Final > UnverifiedCap) {
				t.Errorf("%s: unverified %v final %d", ir.ItemID, ir.Unverified, ir.Final)
			}
		}
	})

	t.Run("contradicted claims are capped and only they are over-claimed", func(t *testing.T) {
		h := newHonest(t, 4)
		h.set("fhir.search.paging", probeFail) // medium: API-04 verified at 2
		r := h.score(t)
		for _, ir := range r.Items {
			contradicted := slices.ContainsFunc(ir.Probes, func(c ProbeCheck) bool { return c.Status == probeFail })
			if ir.OverClaimed != contradicted {
				t.Errorf("%s over-claimed %v, contradicted %v", ir.ItemID, ir.OverClaimed, contradicted)
			}
			if contradicted && ir.Final != 2 {
				t.Errorf("%s contradicted at final %d, want 2", ir.ItemID, ir.Final)
			}
			if !contradicted && len(ir.Probes) > 0 && ir.Final != 4 {
				t.Errorf("%s: all-pass attested 4 scored %d, want 4", ir.ItemID, ir.Final)
			}
		}
	})

	t.Run("an all-pass level 4 keeps 4 when attested or observed; an errored one never beats it", func(t *testing.T) {
		for _, c := range []Claim{
			{ItemID: "API-04", Status: Answered, Level: 4, Documents: 1},
			{ItemID: "API-04", Status: Answered, Level: 4, Provenance: InspectorVerified},
		} {
			h := newHonest(t, 3)
			h.claims["API-04"] = c
			ir := itemResult(t, h.score(t), "API-04")
			if ir.Final != 4 || ir.OverClaimed || ir.Evidence != VerifiedByProbe {
				t.Errorf("%+v: final %d over-claimed %v evidence %s", c, ir.Final, ir.OverClaimed, ir.Evidence)
			}
		}
		h := newHonest(t, 3)
		h.claims["API-04"] = Claim{ItemID: "API-04", Status: Answered, Level: 4}
		passed := itemResult(t, h.score(t), "API-04")
		for _, p := range h.cl.Domains[4].Items[3].Probes {
			h.set(p, probeError)
		}
		errored := itemResult(t, h.score(t), "API-04")
		if passed.Final != 3 || passed.OverClaimed || errored.Final > passed.Final || !errored.Unverified {
			t.Errorf("self-reported 4: all-pass final %d (over-claimed %v), errored final %d (unverified %v)",
				passed.Final, passed.OverClaimed, errored.Final, errored.Unverified)
		}
	})

	t.Run("one weak TLS finding: no Warning Notice, not Inadequate", func(t *testing.T) {
		h := newHonest(t, 3)
		h.set("transport.tls.version", probeFail) // TLS 1.0 accepted beside 1.2 (high)
		r := h.score(t)
		if r.WarningNotice.Flagged || r.Rating == Inadequate || r.Rating == NotRated {
			t.Errorf("rating %s flagged %v (%q)", r.Rating, r.WarningNotice.Flagged, r.WarningNotice.Reasons)
		}
		base := newHonest(t, 3).score(t)
		for i, d := range r.Domains {
			if d.ID == "CYB" && !(*d.Percent < *base.Domains[i].Percent) {
				t.Errorf("CYB domain %v not lowered from %v", fmtPtr(d.Percent), fmtPtr(base.Domains[i].Percent))
			}
		}
	})

	t.Run("a serious finding flags a Warning Notice tied to its evidence", func(t *testing.T) {
		h := newHonest(t, 3)
		h.probes["security.auth.required"] = ProbeOutcome{ProbeID: "security.auth.required", Status: probeFail, Severity: sevCritical, EvidenceID: "PR-000007"}
		r := h.score(t)
		wn := r.WarningNotice
		if !wn.Flagged || wn.Section != "29A" || r.Rating != Inadequate || len(wn.Findings) != 1 || wn.Findings[0].EvidenceID != "PR-000007" {
			t.Errorf("rating %s, notice %+v", r.Rating, wn)
		}
	})

	t.Run("waiving an item never beats answering it at 1; a waived mandatory item caps the rating", func(t *testing.T) {
		answeredAt1 := newHonest(t, 4)
		answeredAt1.claims["API-04"] = Claim{ItemID: "API-04", Status: Answered, Level: 1, Documents: 1}
		waived := newHonest(t, 4)
		waived.claims["API-04"] = Claim{ItemID: "API-04", Status: Waived, Waiver: &Waiver{Reason: "plan agreed", Expires: asOf.Add(90 * day)}}
		a, w := answeredAt1.score(t), waived.score(t)
		if *w.Percent > *a.Percent || w.Rating.Rank() > a.Rating.Rank() {
			t.Errorf("waived %v %s beats answered at 1 %v %s", *w.Percent, w.Rating, *a.Percent, a.Rating)
		}
		var mand string
		for _, d := range waived.cl.Domains {
			for _, it := range d.Items {
				if mand == "" && it.MandatoryForType(checklist.AcuteTrust) && len(it.Probes) == 0 {
					mand = it.ID
				}
			}
		}
		m := newHonest(t, 4)
		m.claims[mand] = Claim{ItemID: mand, Status: Waived, Waiver: &Waiver{Reason: "plan agreed", Expires: asOf.Add(90 * day)}}
		if r := m.score(t); r.Rating != RequiresImprovement || !strings.Contains(strings.Join(r.Limiters, "; "), "mandatory item "+mand+" waived") {
			t.Errorf("waived mandatory %s: %s (%q)", mand, r.Rating, r.Limiters)
		}
	})

	t.Run("a missing mandatory item is Not rated and counts at level 1", func(t *testing.T) {
		h := newHonest(t, 3)
		var id string
		for _, d := range h.cl.Domains {
			for _, it := range d.Items {
				if id == "" && it.MandatoryForType(checklist.AcuteTrust) && len(it.Probes) == 0 {
					id = it.ID
				}
			}
		}
		delete(h.claims, id)
		r := h.score(t)
		if r.Rating != NotRated || !strings.Contains(strings.Join(r.NotRatedReasons, "; "), "mandatory item "+id+" not assessed") {
			t.Errorf("rating %s, reasons %q", r.Rating, r.NotRatedReasons)
		}
		full := newHonest(t, 3).score(t)
		if !(*r.Percent < *full.Percent) {
			t.Errorf("provisional %v not below the full %v: the missing item must count at 1", *r.Percent, *full.Percent)
		}
	})
}

// TestRemovingEvidenceNeverRaisesARating generates random assessments and removes one piece of
// evidence at a time: dropping an answer, an inspector's observation or the documents cited,
// dropping a probe's results, turning results into "could not test", not pointing a probe at
// its endpoint, or lowering a claim. (A skip or not-applicable is the probe's finding that its
// test does not apply to what the server serves: a different server, not less evidence.) Whenever both outcomes are rated, the reduced one is never
// higher; the share assessed never rises; and an assessment not rated for want of coverage
// stays not rated.
func TestRemovingEvidenceNeverRaisesARating(t *testing.T) {
	pool := []struct {
		id  string
		sev verdict.Severity
	}{
		{"security.auth.required", sevCritical}, {"transport.https.enforced", sevCritical},
		{"p.high", sevHigh}, {"p.medium", sevMedium}, {"p.low", sevLow}, {"p.info", sevInfo}, {"p.high2", sevHigh},
	}
	statuses := []verdict.Status{probePass, probePass, probePass, probeFail, probeWarn, probeInfo, probeSkip, probeNotApplicable, probeError}
	types := []checklist.OrgType{checklist.AcuteTrust, checklist.GPPractice, checklist.ICB}
	for seed := int64(1); seed <= 3000; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var domains []checklist.Domain
		for d := range 1 + rng.Intn(3) {
			var items []checklist.Item
			for i := range 1 + rng.Intn(5) {
				it := item(fmt.Sprintf("D%d-%02d", d, i), 1+rng.Intn(3))
				for range rng.Intn(3) {
					if p := pool[rng.Intn(len(pool))].id; !slices.Contains(it.Probes, p) {
						it.Probes = append(it.Probes, p)
					}
				}
				if rng.Intn(3) == 0 {
					it.MandatoryFor = []checklist.OrgType{checklist.AcuteTrust, checklist.GPPractice}
				}
				it.Critical = rng.Intn(5) == 0
				items = append(items, it)
			}
			domains = append(domains, domain(fmt.Sprintf("D%d", d), items...))
		}
		in := Input{Checklist: list(domains...), OrgType: types[rng.Intn(len(types))], AsOf: asOf}
		for _, d := range domains {
			for _, it := range d.Items {
				switch rng.Intn(10) {
				case 0:
				case 1:
					in.Claims = append(in.Claims, Claim{ItemID: it.ID, Status: NotApplicable})
				case 2:
					in.Claims = append(in.Claims, Claim{ItemID: it.ID, Status: Waived, Waiver: &Waiver{Reason: "r", Expires: asOf.Add(day)}})
				default:
					c := answered(it.ID, 1+rng.Intn(4), SelfAssessed)
					if rng.Intn(3) == 0 {
						c.Provenance = InspectorVerified
					}
					c.Documents = rng.Intn(2)
					in.Claims = append(in.Claims, c)
				}
			}
		}
		for _, p := range pool {
			if rng.Intn(6) > 0 {
				in.Probes = append(in.Probes, ProbeOutcome{ProbeID: p.id, Status: statuses[rng.Intn(len(statuses))], Severity: p.sev})
			}
		}
		full, err := Score(in)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for op := range 8 {
			reduced, what := removeEvidence(rng, in, op, pool)
			if what == "" {
				continue
			}
			got, err := Score(reduced)
			if err != nil {
				t.Fatalf("seed %d, %s: %v", seed, what, err)
			}
			if full.Rating != NotRated && got.Rating != NotRated && got.Rating.Rank() > full.Rating.Rank() {
				t.Errorf("seed %d: %s raised %s to %s\nfull limiters %q\nreduced limiters %q", seed, what, full.Rating, got.Rating, full.Limiters, got.Limiters)
			}
			if op == 6 && full.Percent != nil && got.Percent != nil && *got.Percent > *full.Percent+1e-9 {
				t.Errorf("seed %d: %s raised the figure %.2f to %.2f", seed, what, *full.Percent, *got.Percent)
			}
			if got.Completeness.Share > full.Completeness.Share {
				t.Errorf("seed %d: %s raised the share assessed %.2f to %.2f", seed, what, full.Completeness.Share, got.Completeness.Share)
			}
			if full.Completeness.Share < CompletenessThreshold && got.Rating != NotRated {
				t.Errorf("seed %d: %s rated an assessment below the completeness threshold", seed, what)
			}
		}
	}
}

// removeEvidence returns a copy of in with one piece of evidence of kind op removed, and what
// was removed ("" when there was nothing of that kind).
func removeEvidence(rng *rand.Rand, in Input, op int, pool []struct {
	id  string
	sev verdict.Severity
}) (Input, string) {
	out := in
	out.Claims = slices.Clone(in.Claims)
	out.Probes = slices.Clone(in.Probes)
	out.Unprobed = slices.Clone(in.Unprobed)
	pickClaim := func(ok func(Claim) bool) int {
		var idx []int
		for i, c := range out.Claims {
			if ok(c) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return -1
		}
		return idx[rng.Intn(len(idx))]
	}
	pickProbe := func() int {
		if len(out.Probes) == 0 {
			return -1
		}
		return rng.Intn(len(out.Probes))
	}
	switch op {
	case 0:
		if i := pickClaim(func(c Claim) bool { return c.Status == Answered }); i >= 0 {
			what := "dropping the answer to " + out.Claims[i].ItemID
			out.Claims = slices.Delete(out.Claims, i, i+1)
			return out, what
		}
	case 1:
		if i := pickClaim(func(c Claim) bool { return c.Provenance == InspectorVerified }); i >= 0 {
			out.Claims[i].Provenance = SelfAssessed
			return out, "dropping the inspector's observation of " + out.Claims[i].ItemID
		}
	case 2:
		if i := pickClaim(func(c Claim) bool { return c.Documents > 0 }); i >= 0 {
			out.Claims[i].Documents = 0
			return out, "dropping the documents cited for " + out.Claims[i].ItemID
		}
	case 3:
		if i := pickProbe(); i >= 0 {
			what := "dropping the result of " + out.Probes[i].ProbeID
			out.Probes = slices.Delete(out.Probes, i, i+1)
			return out, what
		}
	case 4:
		if i := pickProbe(); i >= 0 {
			out.Probes[i].Status = probeError
			return out, "turning a result of " + out.Probes[i].ProbeID + " into could-not-test"
		}
	case 5:
		if i := pickProbe(); i >= 0 {
			id := out.Probes[i].ProbeID
			for j := range out.Probes {
				if out.Probes[j].ProbeID == id {
					out.Probes[j].Status = probeError
				}
			}
			return out, "turning every result of " + id + " into could-not-test"
		}
	case 6:
		p := pool[rng.Intn(len(pool))]
		out.Probes = slices.DeleteFunc(out.Probes, func(o ProbeOutcome) bool { return o.ProbeID == p.id })
		out.Unprobed = append(out.Unprobed, Unprobed{ProbeID: p.id, Severity: p.sev, Reason: "endpoint not given"})
		return out, "not probing the endpoint of " + p.id
	case 7:
		if i := pickClaim(func(c Claim) bool { return c.Status == Answered && c.Level > 1 }); i >= 0 {
			out.Claims[i].Level--
			return out, "lowering the claim for " + out.Claims[i].ItemID
		}
	}
	return out, ""
}
