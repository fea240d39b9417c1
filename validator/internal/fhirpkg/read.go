// Package fhirpkg reads FHIR package archives (.tgz, the npm-style layout every FHIR package
// uses) and turns their StructureDefinitions, ValueSets and CodeSystems into the validator's
// compact model. Resources may be JSON or XML; XML is converted with the element definitions of
// an already-loaded base (UK Core 2.0.0 ships XML only).
package fhirpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

// Package is a FHIR package read into memory.
type Package struct {
	Name         string
	Version      string
	FHIRVersions []string
	Resources    []Resource
}

// Resource is one resource file from a package, decoded into generic JSON values
// (map[string]any, []any, string, json.Number, bool).
type Resource struct {
	File string // path inside the archive
	Type string // resourceType
	JSON map[string]any
}

// maxFileBytes bounds one file inside an archive, so a hostile package cannot exhaust memory.
const maxFileBytes = 256 << 20

// ReadFile reads a package archive. xmlBase gives the definitions used to convert XML resources;
// it may be nil when the package holds JSON only.
func ReadFile(file string, xmlBase *model.Definitions) (*Package, error) {
	if strings.HasSuffix(strings.ToLower(file), ".json") {
		return readJSONFile(file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open FHIR package: %w", err)
	}
	defer f.Close()
	p, err := Read(f, xmlBase)
	if err != nil {
		return nil, fmt.Errorf("read FHIR package %s: %w", file, err)
	}
	return p, nil
}

// Read reads a package archive from r.
func Read(r io.Reader, xmlBase *model.Definitions) (*Package, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip-compressed package: %w", err)
	}
	tr := tar.NewReader(zr)
	p := &Package{}
	var conv *xmlConverter
	var manifest bool
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := h.Name
		base := path.Base(name)
		ext := path.Ext(base)
		if ext != ".json" && ext != ".xml" {
			continue
		}
		if h.Size > maxFileBytes {
			return nil, fmt.Errorf("%s: file larger than %d MB", name, maxFileBytes>>20)
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxFileBytes))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if base == "package.json" {
			if err := readManifest(p, data); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			manifest = true
			continue
		}
		if base == ".index.json" || strings.HasPrefix(base, ".") {
			continue
		}
		var res map[string]any
		switch ext {
		case ".json":
			dec := json.NewDecoder(bytes.NewReader(escapeControls(data)))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			res = m
		case ".xml":
			if xmlBase == nil {
				return nil, fmt.Errorf("%s: XML resources need base definitions to convert them (load the core package first)", name)
			}
			if conv == nil {
				conv = newXMLConverter(xmlBase)
			}
			m, err := conv.Convert(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			res = m
		}
		rt, _ := res["resourceType"].(string)
		if rt == "" {
			continue
		}
		p.Resources = append(p.Resources, Resource{File: name, Type: rt, JSON: res})
	}
	if !manifest {
		return nil, errors.New("no package/package.json manifest: not a FHIR package")
	}
	sort.Slice(p.Resources, func(i, j int) bool { return p.Resources[i].File < p.Resources[j].File })
	return p, nil
}

func readManifest(p *Package, data []byte) error {
	var m struct {
		Name            string   `json:"name"`
		Version         string   `json:"version"`
		FHIRVersions    []string `json:"fhirVersions"`
		FHIRVersionList []string `json:"fhir-version-list"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("package manifest: %w", err)
	}
	p.Name, p.Version = m.Name, m.Version
	p.FHIRVersions = append(m.FHIRVersions, m.FHIRVersionList...)
	return nil
}

// ID is the package's "name#version".
func (p *Package) ID() string { return p.Name + "#" + p.Version }

// readJSONFile reads one loose JSON definition (a StructureDefinition, ValueSet or CodeSystem,
// or a Bundle of them) as a package of its own, named after the file.
func readJSONFile(file string) (*Package, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("open FHIR definitions: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(escapeControls(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("read FHIR definitions %s: %w", file, err)
	}
	p := &Package{Name: path.Base(file), Version: "file"}
	add := func(r map[string]any) {
		if rt, _ := r["resourceType"].(string); rt != "" {
			p.Resources = append(p.Resources, Resource{File: file, Type: rt, JSON: r})
		}
	}
	if rt, _ := m["resourceType"].(string); rt == "Bundle" {
		for _, e := range list(m["entry"]) {
			if em, ok := e.(map[string]any); ok {
				if r, ok := em["resource"].(map[string]any); ok {
					add(r)
				}
			}
		}
	} else {
		add(m)
	}
	if len(p.Resources) == 0 {
		return nil, fmt.Errorf("read FHIR definitions %s: no resource", file)
	}
	return p, nil
}

// escapeControls escapes raw control characters (a CR or tab pasted into a description) inside
// the JSON strings of a definition file, which strict JSON forbids but published packages
// contain; the HL7 tools read them.
func escapeControls(data []byte) []byte {
	out := make([]byte, 0, len(data)+16)
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c < 0x20:
				out = append(out, fmt.Sprintf("\\u%04x", c)...)
				continue
			}
		} else if c == '"' {
			inString = true
		}
		out = append(out, c)
	}
	return out
}
