package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator"
)

// caseOptions maps the Java validator options a case sets onto Jigsaw's validator options.
// Options Jigsaw does not have are left out, and the case is still judged (category "options").
func caseOptions(tc *testCase) []validator.Option {
	var opts []validator.Option
	if v, ok := tc.raw["allow-comments"]; ok && string(v) == "true" {
		opts = append(opts, validator.WithComments())
	}
	// "matchetype": true validates the case in Java's matchetype mode (the object form names a
	// pattern to compare the case with, which Jigsaw does not do).
	if v, ok := tc.raw["matchetype"]; ok && string(v) == "true" {
		opts = append(opts, validator.WithMatchetype())
	}
	if v, ok := tc.raw["security-checks"]; ok && string(v) == "true" {
		opts = append(opts, validator.WithSecurityChecks())
	}
	// "validateReference" is Java's reference policy; the policies that check the type of
	// what a canonical resolves to are Jigsaw's canonical type check.
	var policy string
	if v, ok := tc.raw["validateReference"]; ok && json.Unmarshal(v, &policy) == nil {
		switch policy {
		case "CHECK_TYPE_IF_EXISTS", "CHECK_EXISTS_AND_TYPE", "CHECK_VALID":
			opts = append(opts, validator.WithCanonicalTypes())
		}
	}
	return opts
}

// profileOptions asks the validator to validate against the profile with this canonical URL,
// for a case's "profile" validation. It returns false while the validator cannot apply a
// profile named on the command line; the profile row is then judged on what the validator
// does without it (base definitions plus the profile's package loaded).
func profileOptions(url string) ([]validator.Option, bool) {
	return []validator.Option{validator.WithProfile(url)}, true
}

// validator returns a validator for the FHIR version with the supporting files loaded as a
// package, and the profile in profileFile applied when the validator can.
func (r *runner) validator(version validator.Version, supporting []string, profileFile string, tc *testCase) (*validator.Validator, string, error) {
	opts := caseOptions(tc)
	note := ""
	files := dedupe(supporting)
	key := string(version) + "|" + strings.Join(files, ",") + "|" + profileFile + "|" + strings.Join(optionNames(tc), ",") + "|" + string(tc.raw["matchetype"]) +
		"|" + string(tc.raw["security-checks"]) + "|" + string(tc.raw["validateReference"])
	if profileFile != "" {
		url := strings.TrimPrefix(profileFile, "cases/")
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			var err error
			if url, err = canonicalURL(r.c.files[profileFile]); err != nil {
				return nil, "", fmt.Errorf("profile %s: %w", profileFile, err)
			}
		}
		popts, ok := profileOptions(url)
		if !ok {
			note = "profile not applied (validator has no profile option)"
		}
		opts = append(opts, popts...)
	}
	if v, ok := r.validators[key]; ok {
		return v, note, nil
	}
	if len(files) > 0 {
		pkg, err := r.writePackage(version, files)
		if err != nil {
			return nil, "", err
		}
		opts = append(opts, validator.WithPackage(pkg))
	}
	v, err := validator.New(version, opts...)
	if err != nil {
		return nil, "", err
	}
	r.validators[key] = v
	return v, note, nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// jsonURL finds the first "url" member of a JSON resource.
var jsonURL = regexp.MustCompile(`"url"\s*:\s*"([^"]+)"`)

// xmlURL finds a resource's url in XML (<url value="..."/> as a child of the root).
var xmlURL = regexp.MustCompile(`<url\s+value="([^"]+)"`)

func canonicalURL(data []byte) (string, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '<' {
		if m := xmlURL.FindSubmatch(t); m != nil {
			return string(m[1]), nil
		}
		return "", fmt.Errorf("no url")
	}
	var m struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		// Published definitions sometimes hold raw control characters in strings, which
		// the package reader escapes; the url is still readable.
		if sub := jsonURL.FindSubmatch(data); sub != nil {
			return string(sub[1]), nil
		}
		return "", err
	}
	if m.URL == "" {
		return "", fmt.Errorf("no url")
	}
	return m.URL, nil
}

// writePackage writes the supporting files as a FHIR package archive the validator can load.
func (r *runner) writePackage(version validator.Version, files []string) (string, error) {
	if r.tmp == "" {
		dir, err := os.MkdirTemp("", "paritytool-")
		if err != nil {
			return "", err
		}
		r.tmp = dir
	}
	f, err := os.CreateTemp(r.tmp, "supporting-*.tgz")
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	fv := "4.0.1"
	if version == validator.STU3 {
		fv = "3.0.1"
	}
	manifest, _ := json.Marshal(map[string]any{"name": "paritytool.supporting", "version": "0.0.0", "fhirVersions": []string{fv}})
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add("package/package.json", manifest); err != nil {
		return "", err
	}
	for i, file := range files {
		data, ok := r.c.files[file]
		if !ok {
			if strings.Contains(file, "://") {
				continue // a profile named by URL, from a package the case loads
			}
			return "", fmt.Errorf("supporting file %s not in the corpus", file)
		}
		ext := path.Ext(file)
		if ext != ".json" && ext != ".xml" {
			continue
		}
		if err := add(fmt.Sprintf("package/%03d-%s", i, path.Base(file)), data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return filepath.Clean(f.Name()), nil
}
