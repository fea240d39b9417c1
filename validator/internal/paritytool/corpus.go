package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// corpus is the fhir-test-cases extract: the manifest and every file, by path.
type corpus struct {
	cases []testCase
	files map[string][]byte
}

// testCase is one manifest line. Only the keys the tool uses are typed; the rest are kept raw
// so that the category rules can look at any option.
type testCase struct {
	Name            string          `json:"name"`
	Module          string          `json:"module"`
	File            string          `json:"file"`
	FHIRVersion     string          `json:"fhir_version"`
	Supporting      []string        `json:"supporting_files"`
	Profile         *profileCase    `json:"profile"`
	JavaOutcome     string          `json:"java_outcome"`
	JavaInline      json.RawMessage `json:"java_outcome_inline"`
	JavaErrorCount  *int            `json:"java_error_count"`
	raw             map[string]json.RawMessage
	line            int
	javaIssues      []javaIssue
	javaErrors      int
	javaJudged      bool
	javaTxDependent bool // every error Java reports came from the terminology server
}

type profileCase struct {
	Source string          `json:"source"`
	Java   json.RawMessage `json:"java"` // a path to the outcome, or {"errorCount": n, "output": [...]}
	// Supporting are further definitions the profile needs (Java loads them for the profile
	// validation), relative to cases/ as Source is.
	Supporting []string `json:"supporting"`
}

// javaIssue is the part of an OperationOutcome issue the tool compares.
type javaIssue struct {
	Severity   string   `json:"severity"`
	Code       string   `json:"code"`
	Expression []string `json:"expression"`
	Details    struct {
		Text string `json:"text"`
	} `json:"details"`
	Extension []struct {
		URL string `json:"url"`
	} `json:"extension"`
}

func (j javaIssue) fromServer() bool {
	for _, e := range j.Extension {
		if strings.HasSuffix(e.URL, "/operationoutcome-issue-server") {
			return true
		}
	}
	return false
}

func (j javaIssue) isError() bool { return j.Severity == "error" || j.Severity == "fatal" }

// readCorpus reads the extract from a .tgz or from a directory it was unpacked into.
func readCorpus(src string) (*corpus, error) {
	c := &corpus{files: map[string][]byte{}}
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			c.files[filepath.ToSlash(rel)] = data
			return nil
		})
	} else {
		err = readTGZ(src, c.files)
	}
	if err != nil {
		return nil, fmt.Errorf("read corpus %s: %w", src, err)
	}
	manifest, ok := c.files["manifest.jsonl"]
	if !ok {
		return nil, fmt.Errorf("read corpus %s: no manifest.jsonl", src)
	}
	sc := bufio.NewScanner(bytes.NewReader(manifest))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var tc testCase
		if err := json.Unmarshal(line, &tc); err != nil {
			return nil, fmt.Errorf("manifest.jsonl line %d: %w", n, err)
		}
		if err := json.Unmarshal(line, &tc.raw); err != nil {
			return nil, fmt.Errorf("manifest.jsonl line %d: %w", n, err)
		}
		tc.line = n
		if err := c.loadJava(&tc); err != nil {
			return nil, fmt.Errorf("manifest.jsonl line %d (%s): %w", n, tc.Name, err)
		}
		c.cases = append(c.cases, tc)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("manifest.jsonl: %w", err)
	}
	return c, nil
}

func readTGZ(file string, into map[string][]byte) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return err
		}
		into[path.Clean(strings.TrimPrefix(h.Name, "./"))] = data
	}
}

// loadJava reads Java's expected outcome for the base validation of a case.
func (c *corpus) loadJava(tc *testCase) error {
	var oc struct {
		Issue []javaIssue `json:"issue"`
	}
	switch {
	case tc.JavaOutcome != "":
		data, ok := c.files[tc.JavaOutcome]
		if !ok {
			return fmt.Errorf("outcome %s not in the corpus", tc.JavaOutcome)
		}
		if err := json.Unmarshal(data, &oc); err != nil {
			return fmt.Errorf("outcome %s: %w", tc.JavaOutcome, err)
		}
	case len(tc.JavaInline) > 0:
		if err := json.Unmarshal(tc.JavaInline, &oc); err != nil {
			return fmt.Errorf("inline outcome: %w", err)
		}
	case tc.JavaErrorCount != nil:
		tc.javaErrors = *tc.JavaErrorCount
		tc.javaJudged = true
		return nil
	default:
		return nil // not judged
	}
	tc.javaJudged = true
	tc.javaIssues = oc.Issue
	tx := 0
	for _, is := range oc.Issue {
		if is.isError() {
			tc.javaErrors++
			if is.fromServer() {
				tx++
			}
		}
	}
	tc.javaTxDependent = tx > 0 && tx == tc.javaErrors
	return nil
}

// javaProfileOutcome reads Java's expected outcome for the validation against the case's
// profile: its issues, or only an error count (-1 when the issues are given).
func (c *corpus) javaProfileOutcome(tc *testCase) ([]javaIssue, int, bool, error) {
	if tc.Profile == nil || len(tc.Profile.Java) == 0 {
		return nil, -1, false, nil
	}
	var file string
	if err := json.Unmarshal(tc.Profile.Java, &file); err != nil {
		var inline struct {
			ErrorCount *int `json:"errorCount"`
		}
		if err := json.Unmarshal(tc.Profile.Java, &inline); err != nil || inline.ErrorCount == nil {
			return nil, -1, false, fmt.Errorf("profile outcome: neither a file nor an error count")
		}
		return nil, *inline.ErrorCount, true, nil
	}
	data, ok := c.files[file]
	if !ok {
		return nil, -1, false, nil
	}
	var oc struct {
		Issue []javaIssue `json:"issue"`
	}
	if err := json.Unmarshal(data, &oc); err != nil {
		return nil, -1, false, fmt.Errorf("outcome %s: %w", file, err)
	}
	return oc.Issue, -1, true, nil
}
