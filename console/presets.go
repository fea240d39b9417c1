package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// Preset is how to assess one organisation, kept for repeat runs. It never holds a token: the
// token is typed in for each run, or read from the environment variable TokenEnv names.
type Preset struct {
	ODS          string            `json:"ods"`
	Name         string            `json:"name"`
	Type         checklist.OrgType `json:"type"`
	Region       string            `json:"region,omitempty"`
	Target       string            `json:"target"`
	FHIRVersion  string            `json:"fhir_version,omitempty"`
	CAFile       string            `json:"ca_file,omitempty"`
	ClientCert   string            `json:"client_cert,omitempty"`
	ClientKey    string            `json:"client_key,omitempty"`
	GPConnect    string            `json:"gpconnect,omitempty"`
	GPCStructure string            `json:"gpconnect_structured,omitempty"`
	ConsumerASID string            `json:"consumer_asid,omitempty"`
	ProviderASID string            `json:"provider_asid,omitempty"`
	TokenEnv     string            `json:"token_env,omitempty"`
}

// presetFromForm reads a preset from a submitted form and checks it.
func presetFromForm(get func(string) string) (Preset, error) {
	p := Preset{
		ODS: strings.ToUpper(strings.TrimSpace(get("ods"))), Name: strings.TrimSpace(get("name")),
		Type: checklist.OrgType(get("type")), Region: strings.TrimSpace(get("region")),
		Target: strings.TrimRight(strings.TrimSpace(get("target")), "/"), FHIRVersion: strings.ToUpper(get("fhir_version")),
		CAFile: strings.TrimSpace(get("ca_file")), ClientCert: strings.TrimSpace(get("client_cert")), ClientKey: strings.TrimSpace(get("client_key")),
		GPConnect:    strings.TrimRight(strings.TrimSpace(get("gpconnect")), "/"),
		GPCStructure: strings.TrimRight(strings.TrimSpace(get("gpconnect_structured")), "/"),
		ConsumerASID: strings.TrimSpace(get("consumer_asid")), ProviderASID: strings.TrimSpace(get("provider_asid")),
		TokenEnv: strings.TrimSpace(get("token_env")),
	}
	if p.FHIRVersion == "" {
		p.FHIRVersion = probes.R4
	}
	return p, p.check()
}

func (p Preset) check() error {
	var errs []error
	if !terminology.ODSCodeValid(p.ODS) {
		errs = append(errs, fmt.Errorf("ODS code %q: give 3 to 6 upper-case letters and digits", p.ODS))
	}
	if p.Name == "" {
		errs = append(errs, errors.New("organisation name: required"))
	}
	if !slices.Contains(checklist.OrgTypes(), p.Type) {
		errs = append(errs, fmt.Errorf("organisation type %q: choose one from the list", p.Type))
	}
	for label, u := range map[string]string{"FHIR endpoint": p.Target, "GP Connect provider": p.GPConnect, "GP Connect structured endpoint": p.GPCStructure} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			errs = append(errs, fmt.Errorf("%s %q: give an http:// or https:// URL", label, u))
		}
	}
	if p.Target == "" {
		errs = append(errs, errors.New("FHIR endpoint: required (the base URL to probe)"))
	}
	if p.FHIRVersion != probes.R4 && p.FHIRVersion != probes.STU3 {
		errs = append(errs, fmt.Errorf("FHIR version %q: use R4 or STU3", p.FHIRVersion))
	}
	for label, f := range map[string]string{"CA file": p.CAFile, "client certificate": p.ClientCert, "client key": p.ClientKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", label, err))
		}
	}
	if (p.ClientCert == "") != (p.ClientKey == "") {
		errs = append(errs, errors.New("client certificate and client key go together"))
	}
	if p.TokenEnv != "" && strings.ContainsAny(p.TokenEnv, "= ") {
		errs = append(errs, fmt.Errorf("token environment variable %q: give a variable name such as JIGSAW_TOKEN", p.TokenEnv))
	}
	return errors.Join(errs...)
}

// targets turns a preset and a run's token into the probe targets, as jigsaw assess --target
// and --gpconnect do: the token, CA file and client certificate apply to both; the GP Connect
// consumer settings to the provider only.
func (p Preset) targets(token string) (probes.Target, *probes.Target) {
	main := probes.Target{BaseURL: p.Target, FHIRVersion: p.FHIRVersion, Token: token, CAFile: p.CAFile, ClientCert: p.ClientCert, ClientKey: p.ClientKey}
	if p.GPConnect == "" {
		return main, nil
	}
	gpc := probes.Target{BaseURL: p.GPConnect, FHIRVersion: probes.STU3, Token: token, CAFile: p.CAFile, ClientCert: p.ClientCert, ClientKey: p.ClientKey,
		GPConnect: &probes.GPConnectSettings{StructuredURL: p.GPCStructure, ConsumerASID: p.ConsumerASID, ProviderASID: p.ProviderASID}}
	return main, &gpc
}

// loadPresets reads the presets file; a missing file is no presets.
func (s *Server) loadPresets() ([]Preset, error) {
	if s.cfg.PresetsFile == "" {
		return nil, nil
	}
	f, err := os.Open(s.cfg.PresetsFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read presets: %w", err)
	}
	defer f.Close()
	var out []Preset
	dec := json.NewDecoder(io.LimitReader(f, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("presets file %s: %w (fix or remove it)", s.cfg.PresetsFile, err)
	}
	return out, nil
}

// storePreset adds or replaces the organisation's preset, writing the file whole.
func (s *Server) storePreset(p Preset) error {
	if s.cfg.PresetsFile == "" {
		return errors.New("this console was started without a presets file")
	}
	s.presetMu.Lock()
	defer s.presetMu.Unlock()
	list, err := s.loadPresets()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(q Preset) bool { return q.ODS == p.ODS })
	if i >= 0 {
		list[i] = p
	} else {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b Preset) int { return strings.Compare(a.Name, b.Name) })
	return reports.WriteFileAtomic(s.cfg.PresetsFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	})
}

func (s *Server) preset(ods string) (Preset, bool) {
	list, err := s.loadPresets()
	if err != nil {
		return Preset{}, false
	}
	for _, p := range list {
		if p.ODS == ods {
			return p, true
		}
	}
	return Preset{}, false
}
