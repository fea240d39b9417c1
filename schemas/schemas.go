// Package schemas holds the JSON Schemas of Jigsaw's file formats (checklists, self-assessment
// answers, probe results, ...). The schema files in this directory are generated from the Go
// types by `go generate ./schemas` (see package registry) and embedded in the binary, so input
// files are validated against exactly the schema that is published.
package schemas

//go:generate go run ./internal/genschemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.schema.json
var files embed.FS

const suffix = ".schema.json"

// FileName is the file a named schema is written to.
func FileName(name string) string { return name + suffix }

// Names lists the published schemas in alphabetical order.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), suffix); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// JSON returns the published schema document for name.
func JSON(name string) ([]byte, error) {
	b, err := files.ReadFile(FileName(name))
	if err != nil {
		return nil, fmt.Errorf("no schema named %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// compiled holds each embedded schema compiled once: the files never change at run time and a
// compiled schema is safe for concurrent use, so every caller can share it.
var compiled = func() map[string]func() (*jsonschema.Schema, error) {
	m := map[string]func() (*jsonschema.Schema, error){}
	for _, name := range Names() {
		m[name] = sync.OnceValues(func() (*jsonschema.Schema, error) {
			b, err := JSON(name)
			if err != nil {
				return nil, err
			}
			return CompileJSON(name, b)
		})
	}
	return m
}()

// Compile returns the named schema ready to validate JSON-shaped data. Format keywords (date,
// uri, ...) are asserted, not just annotated.
func Compile(name string) (*jsonschema.Schema, error) {
	get, ok := compiled[name]
	if !ok {
		_, err := JSON(name)
		return nil, err
	}
	return get()
}

// CompileJSON compiles a schema document; name is used in error messages and as its location
// when the document has no $id.
func CompileJSON(name string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", name, err)
	}
	loc := "urn:jigsaw:schema:" + name
	if m, ok := doc.(map[string]any); ok {
		if id, ok := m["$id"].(string); ok && id != "" {
			loc = id
		}
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("load schema %s: %w", name, err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	return sch, nil
}

// Indent formats a schema document the way the published files are written.
func Indent(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
