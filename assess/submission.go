package assess

import (
	"context"
	"time"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/submission"
)

// Submission gathers an assessment's payload from the store: its score (against the exact
// checklist text it used, which find must supply), answers, probe results, evidence digests and
// the chain proof. It fails if the evidence chain does not verify.
func Submission(ctx context.Context, store *evidence.Store, assessmentID int64, find ChecklistFinder, toolVersion string, now time.Time) (*submission.Payload, error) {
	scored, err := Score(ctx, store, assessmentID, find)
	if err != nil {
		return nil, err
	}
	// Read after the snapshot the score came from, so the rows cover everything it names.
	ev, err := store.ExportEvidence(ctx, assessmentID)
	if err != nil {
		return nil, err
	}
	snap := scored.Snapshot
	a := snap.Assessment
	p := &submission.Payload{
		ExportedAt:  now.UTC(),
		ToolVersion: toolVersion,
		Organisation: submission.Organisation{
			ODS: a.Org.ODSCode, Name: a.Org.Name, Type: string(a.Org.Type), Region: a.Org.Region, ICB: a.Org.ICB,
		},
		Assessment: submission.Assessment{
			ID: a.Ref, Cycle: a.Cycle, Status: string(a.Status), TargetURL: a.TargetURL, FHIRVersion: a.FHIRVersion,
			StartedAt: a.StartedAt, FinishedAt: a.FinishedAt,
		},
		Checklist: submission.Checklist{ID: a.ChecklistID, Version: a.ChecklistVersion, SHA256: a.ChecklistSHA256},
		Score:     scored.Result,
		Answers:   nonNil(snap.Attestations),
		Results:   nonNil(snap.Results),
		Exchanges: nonNil(snap.Exchanges),
		Files:     nonNil(snap.Files),
		Evidence:  submission.Evidence{Head: ev.Head, Links: ev.Links, Rows: ev.Rows},
	}
	return p, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
