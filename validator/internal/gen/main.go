// Command gen reads the official FHIR packages and writes the compact, compressed definitions the
// validator embeds, plus test fixtures taken from the packages' examples.
//
//	go run ./validator/internal/gen -fhir ../shared/fhir -out validator/internal/specdata -testdata validator/testdata
//
// It reads hl7.fhir.r4.core-4.0.1.tgz, hl7.fhir.r3.core-3.0.1.tgz and uk-core-r4-2.0.0-xml.tgz.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/fhirpkg"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

func main() {
	fhirDir := flag.String("fhir", "../shared/fhir", "folder holding the FHIR package archives")
	out := flag.String("out", "validator/internal/specdata", "folder to write the encoded definitions to")
	testdata := flag.String("testdata", "validator/testdata", "folder to write example fixtures to (empty: skip)")
	flag.Parse()
	if err := run(*fhirDir, *out, *testdata); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(fhirDir, out, testdata string) error {
	r4core, err := fhirpkg.ReadFile(filepath.Join(fhirDir, "hl7.fhir.r4.core-4.0.1.tgz"), nil)
	if err != nil {
		return err
	}
	b := fhirpkg.NewBuilder("4.0.1", nil)
	if err := b.Add(r4core); err != nil {
		return err
	}
	// UK Core is XML; convert it with the R4 core definitions.
	core := b.Definitions()
	uk, err := fhirpkg.ReadFile(filepath.Join(fhirDir, "uk-core-r4-2.0.0-xml.tgz"), core)
	if err != nil {
		return err
	}
	if err := b.Add(uk); err != nil {
		return err
	}
	r4 := b.Definitions()
	if err := write(filepath.Join(out, "r4.gob.gz"), r4); err != nil {
		return err
	}

	stu3core, err := fhirpkg.ReadFile(filepath.Join(fhirDir, "hl7.fhir.r3.core-3.0.1.tgz"), nil)
	if err != nil {
		return err
	}
	b3 := fhirpkg.NewBuilder("3.0.1", nil)
	if err := b3.Add(stu3core); err != nil {
		return err
	}
	if err := write(filepath.Join(out, "stu3.gob.gz"), b3.Definitions()); err != nil {
		return err
	}
	// Complete FHIR-defined code systems (hl7.org/fhir/...), whose codes a Coding is checked
	// against wherever it appears. terminology.hl7.org systems are left out: the HL7 Java
	// validator reads them from the newer THO package, which adds codes; so are STU3's copies
	// of the v2 and v3 tables (http://hl7.org/fhir/v2/..., /v3/...), which it does not know.
	fhirDefined := func(url string) bool {
		return strings.HasPrefix(url, "http://hl7.org/fhir/") && !strings.HasPrefix(url, "http://hl7.org/fhir/v2/") && !strings.HasPrefix(url, "http://hl7.org/fhir/v3/")
	}
	if err := writeCodeSystems(filepath.Join(out, "r4-codesystems.json.gz"), fhirpkg.CompleteCodeSystems(r4core, fhirDefined)); err != nil {
		return err
	}
	if err := writeCodeSystems(filepath.Join(out, "stu3-codesystems.json.gz"), fhirpkg.CompleteCodeSystems(stu3core, fhirDefined)); err != nil {
		return err
	}
	// The core SearchParameters, for derivedFrom and CapabilityStatement searchParam checks.
	if err := writeGzipJSON(filepath.Join(out, "r4-searchparams.json.gz"), fhirpkg.SearchParams(r4core)); err != nil {
		return err
	}
	if err := writeGzipJSON(filepath.Join(out, "stu3-searchparams.json.gz"), fhirpkg.SearchParams(stu3core)); err != nil {
		return err
	}
	if testdata == "" {
		return nil
	}
	if err := writeExamples(filepath.Join(testdata, "ukcore-examples.ndjson.gz"), uk, func(r fhirpkg.Resource) bool {
		return strings.Contains(r.File, "/examples/")
	}); err != nil {
		return err
	}
	// A sample of each core package's own resources (definitions are resources too, and the
	// core packages ship no other examples): every kind, a bounded number of each.
	for name, p := range map[string]*fhirpkg.Package{"r4-core-sample.ndjson.gz": r4core, "stu3-core-sample.ndjson.gz": stu3core} {
		perType := map[string]int{}
		if err := writeExamples(filepath.Join(testdata, name), p, func(r fhirpkg.Resource) bool {
			perType[r.Type]++
			return perType[r.Type] <= 60
		}); err != nil {
			return err
		}
	}
	return nil
}

// writeGzipJSON writes v as gzip-compressed JSON.
func writeGzipJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Printf("%s: %d bytes\n", path, buf.Len())
	return nil
}

// writeCodeSystems writes code system URL -> codes as gzip-compressed JSON.
func writeCodeSystems(path string, systems map[string][]string) error {
	data, err := json.Marshal(systems)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	codes := 0
	for _, c := range systems {
		codes += len(c)
	}
	fmt.Printf("%s: %d complete code systems, %d codes, %d bytes\n", path, len(systems), codes, buf.Len())
	return nil
}

func write(path string, d *model.Definitions) error {
	var buf bytes.Buffer
	if err := model.Encode(&buf, d); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	complete := 0
	for _, vs := range d.ValueSets {
		if vs.Complete {
			complete++
		}
	}
	fmt.Printf("%s: %d structures, %d constraints, %d value sets (%d expanded), %d bytes, from %s\n",
		path, len(d.Structures), len(d.Constraints), len(d.ValueSets), complete, buf.Len(), strings.Join(d.Sources, ", "))
	return nil
}

// writeExamples writes the selected resources of a package as gzip-compressed NDJSON, one
// resource per line, each preceded in a side file by nothing: the file name is kept in the
// resource's meta-free form, so tests report resources by their id.
func writeExamples(path string, p *fhirpkg.Package, keep func(fhirpkg.Resource) bool) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	var names []string
	n := 0
	for _, r := range p.Resources {
		if !keep(r) {
			continue
		}
		line, err := json.Marshal(r.JSON)
		if err != nil {
			return fmt.Errorf("%s: %w", r.File, err)
		}
		zw.Write(line)
		zw.Write([]byte("\n"))
		names = append(names, r.File)
		n++
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	sort.Strings(names)
	fmt.Printf("%s: %d resources from %s, %d bytes\n", path, n, p.ID(), buf.Len())
	return nil
}
