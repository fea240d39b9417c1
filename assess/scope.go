package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/evidence"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/scoring"
)

// ScopeFileName is the name of the evidence file that records who ran an assessment and what it
// was pointed at. It is a chained evidence row like any other, so the chain (and a signed
// export) vouches for the inspector, the role and the endpoints.
const ScopeFileName = "jigsaw-scope.json"

// Scope is what an inspector declares at the start of an assessment.
type Scope struct {
	Inspector string `json:"inspector"`
	Role      string `json:"role"`
	// Endpoints are the endpoints the assessment probed, in the order given.
	Endpoints []Endpoint `json:"endpoints"`
	// NotProbed are the probe packs the checklist links that had no endpoint to run against,
	// with why.
	NotProbed []PackNotProbed `json:"not_probed,omitempty"`
	Tool      string          `json:"tool"`
}

// Endpoint is one endpoint an assessment probed and the packs that ran against it.
type Endpoint struct {
	// Kind is "fhir" (the FHIR endpoint, --target) or "gpconnect" (the GP Connect provider).
	Kind        string   `json:"kind"`
	URL         string   `json:"url"`
	FHIRVersion string   `json:"fhir_version,omitempty"`
	Packs       []string `json:"packs"`
}

// PackNotProbed is a probe pack with no endpoint to run against.
type PackNotProbed struct {
	Pack   string `json:"pack"`
	Reason string `json:"reason"`
}

// Endpoint kinds.
const (
	FHIREndpoint      = "fhir"
	GPConnectEndpoint = "gpconnect"
)

// NoGPConnectReason is why GP Connect probes are not probed when no provider was given.
const NoGPConnectReason = "no GP Connect provider endpoint was given (--gpconnect)"

// ScopeOf describes the run opts would make over the linked probes.
func ScopeOf(opts Options, linked []probes.Probe) Scope {
	sc := Scope{Inspector: opts.Inspector, Role: opts.Role, Tool: opts.ToolVersion}
	main := Endpoint{Kind: FHIREndpoint, URL: opts.Target.BaseURL, FHIRVersion: opts.Target.FHIRVersion}
	var gpc *Endpoint
	if opts.GPConnect != nil {
		gpc = &Endpoint{Kind: GPConnectEndpoint, URL: opts.GPConnect.BaseURL, FHIRVersion: opts.GPConnect.FHIRVersion}
	}
	gpcPackOnMain := false
	for _, p := range linked {
		pack := p.Meta().Pack
		switch {
		case pack == GPConnectPack && gpc != nil:
			if !slices.Contains(gpc.Packs, pack) {
				gpc.Packs = append(gpc.Packs, pack)
			}
		case pack == GPConnectPack && opts.Target.GPConnect == nil:
			gpcPackOnMain = true
		default:
			if !slices.Contains(main.Packs, pack) {
				main.Packs = append(main.Packs, pack)
			}
		}
	}
	sc.Endpoints = append(sc.Endpoints, main)
	if gpc != nil {
		sc.Endpoints = append(sc.Endpoints, *gpc)
	}
	if gpcPackOnMain {
		sc.NotProbed = append(sc.NotProbed, PackNotProbed{Pack: GPConnectPack, Reason: NoGPConnectReason})
	}
	return sc
}

// recordScope attaches the scope to the assessment unless the latest one recorded is the same.
func recordScope(ctx context.Context, store *evidence.Store, assessmentID int64, sc Scope) error {
	prev, err := loadScope(ctx, store, assessmentID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("encode assessment scope: %w", err)
	}
	if prev != nil {
		if old, err := json.Marshal(prev); err == nil && bytes.Equal(old, body) {
			return nil
		}
	}
	_, err = store.AttachFile(ctx, assessmentID, evidence.FileInput{
		Name: ScopeFileName, MediaType: "application/json", KeepBytes: true,
		Note:    "Inspector, role and endpoints declared for the assessment",
		Content: bytes.NewReader(body),
	})
	if err != nil {
		return fmt.Errorf("record assessment scope: %w", err)
	}
	return nil
}

// LoadScope reads the latest scope recorded for the assessment; nil when none was (assessments
// recorded before scopes were).
func LoadScope(ctx context.Context, store *evidence.Store, snap *evidence.Snapshot) (*Scope, error) {
	var latest *evidence.AttachedFile
	for i := range snap.Files {
		f := &snap.Files[i]
		if f.Name == ScopeFileName && f.HasContent && (latest == nil || f.ID > latest.ID) {
			latest = f
		}
	}
	if latest == nil {
		return nil, nil
	}
	body, err := store.FileContent(ctx, latest.ID)
	if err != nil {
		return nil, fmt.Errorf("read assessment scope %s: %w", latest.ID, err)
	}
	return ParseScope(latest.ID, body)
}

// ParseScope decodes a recorded scope; id names the evidence row in errors.
func ParseScope(id string, body []byte) (*Scope, error) {
	var sc Scope
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("assessment scope %s is not valid: %w", id, err)
	}
	return &sc, nil
}

func loadScope(ctx context.Context, store *evidence.Store, assessmentID int64) (*Scope, error) {
	snap, err := store.Load(ctx, assessmentID)
	if err != nil {
		return nil, err
	}
	return LoadScope(ctx, store, snap)
}

// Unprobed lists the recorded results whose pack the scope says had no endpoint: they ran
// against an endpoint that could not answer them, so scoring treats them as not probed.
func (sc *Scope) Unprobed(results []evidence.StoredResult) []scoring.Unprobed {
	if sc == nil {
		return nil
	}
	var out []scoring.Unprobed
	for _, r := range results {
		for _, np := range sc.NotProbed {
			if r.Pack == np.Pack && !r.Status.Judged() {
				out = append(out, scoring.Unprobed{ProbeID: r.ProbeID, Severity: r.Severity, Reason: np.Reason})
			}
		}
	}
	return out
}

// PackList names the packs probed on an endpoint, for reports.
func (e Endpoint) PackList() string { return strings.Join(e.Packs, ", ") }
