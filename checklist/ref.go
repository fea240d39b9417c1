package checklist

import (
	"fmt"
	"os"
	"strings"
)

// Current names the checklist Jigsaw assesses against unless told otherwise. It is the one
// place the current catalogue version is named; a test keeps it the latest of its id.
const Current = "nhs-interop@2026.1"

// Ref names one checklist text: its id and version, and the SHA-256 of the file when known.
// Its string form is "id@version"; a bare "id" means the catalogue's latest version.
type Ref struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	SHA256  string `json:"sha256,omitempty"`
}

// ParseRef reads "id@version", or a bare "id" (Version empty: the latest version).
func ParseRef(s string) (Ref, error) {
	id, version, pinned := strings.Cut(s, "@")
	if !idPattern.MatchString(id) || (pinned && !versionPattern.MatchString(version)) {
		return Ref{}, fmt.Errorf("%q is not a checklist reference: use ID or ID@VERSION, for example %s", s, Current)
	}
	return Ref{ID: id, Version: version}, nil
}

// String is "id@version", or the bare id when no version is pinned.
func (r Ref) String() string {
	if r.Version == "" {
		return r.ID
	}
	return r.ID + "@" + r.Version
}

// Reference is the checklist's id, version and file hash.
func (c *Checklist) Reference() Ref { return Ref{ID: c.ID, Version: c.Version, SHA256: c.SHA256} }

// Ref is the id@version string that names this checklist.
func (c *Checklist) Ref() string { return c.Reference().String() }

// IsFile says whether s names a checklist file rather than a catalogue reference: it ends in
// .yaml or .yml, contains a path separator, or is an existing file.
func IsFile(s string) bool {
	if strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml") || strings.ContainsAny(s, `/\`) {
		return true
	}
	_, err := os.Stat(s)
	return err == nil
}

// Resolve reads the checklist s names from the embedded catalogue; see Registry.Resolve.
func Resolve(s string, opts ...Option) (*Checklist, error) { return Catalog().Resolve(s, opts...) }

// Resolve is the one way a command names a checklist: a file path (read and validated), or
// ID[@VERSION] in this catalogue. WithKnownProbes checks the probe links of either against
// this build's probes.
func (r *Registry) Resolve(s string, opts ...Option) (*Checklist, error) {
	if IsFile(s) {
		return Load(s, opts...)
	}
	c, err := r.Lookup(s)
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.knownProbe != nil {
		if err := Validate(c, o.knownProbe); err != nil {
			return nil, fmt.Errorf("built-in checklist %s does not match this build's probes: %w", c.Ref(), err)
		}
	}
	return c, nil
}

// Finder returns how to find the checklist an assessment recorded, by id@version: file when
// it is that checklist, else the catalogue. Callers compare the SHA-256 the assessment
// recorded with the one found.
func (r *Registry) Finder(file *Checklist) func(ref string) (*Checklist, error) {
	return func(ref string) (*Checklist, error) {
		if file != nil && ref == file.Ref() {
			return file, nil
		}
		return r.Lookup(ref)
	}
}
