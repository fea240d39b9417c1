package fhirpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
)

// tgz builds a package archive holding a manifest and one file, so fuzzed content gets past
// the gzip and tar layers into the manifest and resource readers.
func tgz(manifest []byte, name string, content []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		data []byte
	}{{"package/package.json", manifest}, {name, content}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write(f.data)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// FuzzReadPackage reads package archives (--package FILE.tgz) whose manifest and one resource
// are fuzzed, and whole fuzzed archives: never a panic, and a package read without error has
// a name.
func FuzzReadPackage(f *testing.F) {
	manifest := []byte(`{"name":"uk.example","version":"1.0.0","fhirVersions":["4.0.1"]}`)
	sd := []byte(`{"resourceType":"StructureDefinition","url":"http://example/sd","name":"X","type":"Patient","kind":"resource","abstract":false,` +
		`"baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":"constraint",` +
		`"differential":{"element":[{"id":"Patient.name","path":"Patient.name","min":1}]}}`)
	vs := []byte(`{"resourceType":"ValueSet","url":"http://example/vs","compose":{"include":[{"system":"http://example/cs","concept":[{"code":"a"}]}]}}`)
	f.Add(manifest, "package/StructureDefinition-x.json", sd, false)
	f.Add(manifest, "package/ValueSet-x.json", vs, false)
	f.Add([]byte(`{"name":1}`), "package/x.json", []byte(`[]`), false)
	f.Add(manifest, "package/x.xml", []byte(`<Patient xmlns="http://hl7.org/fhir"/>`), false)
	f.Add(tgz(manifest, "package/a.json", sd), "", []byte{}, true)
	f.Fuzz(func(t *testing.T, manifest []byte, name string, content []byte, raw bool) {
		data := manifest
		if !raw {
			data = tgz(manifest, name, content)
		}
		p, err := Read(bytes.NewReader(data), nil)
		if err == nil && p == nil {
			t.Fatal("no package and no error")
		}
	})
}
