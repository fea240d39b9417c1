package checklist

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed catalog/*/*.yaml
var embedded embed.FS

// Registry is a catalogue of checklists laid out as catalog/<id>/<version>.yaml.
type Registry struct {
	fsys fs.FS
}

// Catalog returns the catalogue embedded in the binary.
func Catalog() *Registry { return &Registry{fsys: embedded} }

// NewRegistry returns a catalogue read from fsys, which holds catalog/<id>/<version>.yaml.
func NewRegistry(fsys fs.FS) *Registry { return &Registry{fsys: fsys} }

// Entry describes one checklist version in a catalogue.
type Entry struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Title   string `json:"title"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Domains int    `json:"domains"`
	Items   int    `json:"items"`
}

// Ref is the entry's id@version.
func (e Entry) Ref() string { return Ref{ID: e.ID, Version: e.Version}.String() }

// Lookup returns a checklist from the embedded catalogue; see Registry.Lookup.
func Lookup(ref string) (*Checklist, error) { return Catalog().Lookup(ref) }

// List describes every checklist in the embedded catalogue.
func List() ([]Entry, error) { return Catalog().List() }

// List describes every checklist version, ordered by id and then version.
func (r *Registry) List() ([]Entry, error) {
	refs, err := r.refs()
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(refs))
	for _, ref := range refs {
		c, err := r.load(ref.id, ref.version)
		if err != nil {
			return nil, err
		}
		entries = append(entries, Entry{
			ID: c.ID, Version: c.Version, Title: c.Title, Path: c.Source, SHA256: c.SHA256,
			Domains: len(c.Domains), Items: c.ItemCount(),
		})
	}
	return entries, nil
}

// Lookup returns the checklist named by ref: "id@version" for one version, or a bare "id" for
// the latest version.
func (r *Registry) Lookup(ref string) (*Checklist, error) {
	parsed, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	id, version, pinned := parsed.ID, parsed.Version, parsed.Version != ""
	refs, err := r.refs()
	if err != nil {
		return nil, err
	}
	var versions []string
	for _, cr := range refs {
		if cr.id == id {
			versions = append(versions, cr.version)
		}
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("no checklist %q in the catalogue (have: %s)", id, joinRefs(refs))
	}
	if !pinned {
		version = versions[len(versions)-1]
	} else if !slices.Contains(versions, version) {
		return nil, fmt.Errorf("no version %s of checklist %q in the catalogue (have: %s)", version, id, strings.Join(versions, ", "))
	}
	return r.load(id, version)
}

type catalogRef struct{ id, version string }

// refs lists the catalogue's files, ordered by id and then by version (2026.2 < 2026.10).
func (r *Registry) refs() ([]catalogRef, error) {
	files, err := fs.Glob(r.fsys, "catalog/*/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list catalogue: %w", err)
	}
	var refs []catalogRef
	for _, f := range files {
		id := path.Base(path.Dir(f))
		version := strings.TrimSuffix(path.Base(f), ".yaml")
		if !idPattern.MatchString(id) || !versionPattern.MatchString(version) {
			return nil, fmt.Errorf("catalogue file %s is not named catalog/<id>/<YYYY.N>.yaml", f)
		}
		refs = append(refs, catalogRef{id, version})
	}
	slices.SortFunc(refs, func(a, b catalogRef) int {
		return cmp.Or(cmp.Compare(a.id, b.id), CompareVersions(a.version, b.version))
	})
	return refs, nil
}

func (r *Registry) load(id, version string) (*Checklist, error) {
	p := "catalog/" + id + "/" + version + ".yaml"
	data, err := fs.ReadFile(r.fsys, p)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	c, err := Parse(p, data)
	if err != nil {
		return nil, fmt.Errorf("catalogue checklist %s@%s is invalid:\n%w", id, version, err)
	}
	if c.ID != id || c.Version != version {
		return nil, errors.New(p + ": declares " + c.Ref() + "; the file name must match its id and version")
	}
	return c, nil
}

func joinRefs(refs []catalogRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = Ref{ID: r.id, Version: r.version}.String()
	}
	return strings.Join(s, ", ")
}

// CompareVersions orders YYYY.N versions numerically: 2026.2 sorts before 2026.10.
func CompareVersions(a, b string) int {
	ay, an := splitVersion(a)
	by, bn := splitVersion(b)
	return cmp.Or(cmp.Compare(ay, by), cmp.Compare(an, bn), cmp.Compare(a, b))
}

func splitVersion(v string) (year, n int) {
	y, rest, _ := strings.Cut(v, ".")
	year, _ = strconv.Atoi(y)
	n, _ = strconv.Atoi(rest)
	return year, n
}

// ItemCount is the number of items across all domains.
func (c *Checklist) ItemCount() int {
	n := 0
	for _, d := range c.Domains {
		n += len(d.Items)
	}
	return n
}

// Item finds an item by id and returns it with its domain.
func (c *Checklist) Item(id string) (*Item, *Domain, bool) {
	for i := range c.Domains {
		d := &c.Domains[i]
		for j := range d.Items {
			if d.Items[j].ID == id {
				return &d.Items[j], d, true
			}
		}
	}
	return nil, nil, false
}
