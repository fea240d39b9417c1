package validator

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func readGz(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// knownExampleErrors lists the official examples that carry real errors, with the reason. Keys
// are "ResourceType/id check key".
var knownExampleErrors = map[string]string{
	// The "Definition" logical model in both core packages is not abstract yet has no
	// baseDefinition; the STU3 copy also has no type, which fails sdf-8 as a consequence.
	"StructureDefinition/Definition sdf-4":       "core package: logical model without baseDefinition",
	"StructureDefinition/Definition cardinality": "STU3 core package: StructureDefinition.type missing",
	"StructureDefinition/Definition sdf-8":       "STU3 core package: follows from the missing type",
	// Constraints the core packages publish with FHIRPath errors, which the HL7 Java validator
	// reports too when it validates these StructureDefinitions: R4 cid-0 reads
	// ChargeItemDefinition.name, which R4 does not define; STU3 bdl-7 filters with
	// where(fullUrl), a uri where a boolean is needed (R4 corrected it to fullUrl.exists()).
	"StructureDefinition/ChargeItemDefinition structure-definition": "R4 core package: cid-0 names an element ChargeItemDefinition does not have",
	"StructureDefinition/Bundle structure-definition":               "STU3 core package: bdl-7 criterion where(fullUrl) is not a boolean",
	// UK Core 2.0.0's ConditionEpisode extension example gives both valueCode and
	// valueCodeableConcept in one extension.
	"Condition/Extension-UKCore-ConditionEpisode-Example choice-type": "UK Core example with two value[x] forms",
	// UK Core 2.0.0's NEWS2 Bundle example gives relative fullUrls ("Observation/..."); a
	// fullUrl must be an absolute URL (Bundle.entry.fullUrl; the HL7 Java validator agrees).
	"Bundle/UKCore-Bundle-NEWS2Observations-Example bundle-entry": "UK Core example with relative fullUrls",
	// ... which also means valueCode, a type the extension does not allow, is present.
	"Condition/Extension-UKCore-ConditionEpisode-Example profile-type": "UK Core example with two value[x] forms",
	// UK Core 2.0.0's RecordingSetting example misspells its extension's url ("RcordingSetting").
	"Observation/Extension-UKCore-RecordingSetting-Example extension": "UK Core example with a misspelt extension url",
	// UK Core 2.0.0's BabyPatient example has NHS number 9912003890, whose check digit is wrong
	// (the first nine digits give 6).
	"Patient/UKCore-Patient-BabyPatient-Example identifier": "UK Core example with an invalid NHS number",
}

// knownExtensionDefects lists extensions the core packages use against their own definitions:
// structuredefinition-normative-version is defined for StructureDefinition only but is on the
// R4 CodeSystems and ValueSets; structuredefinition-codegen-super is used by the STU3
// StructureDefinitions but not defined in the STU3 package; structuredefinition-fhir-type is
// defined for ElementDefinition.type.code but the R4 snapshots put it on ElementDefinition.type.
var knownExtensionDefects = []string{
	"http://hl7.org/fhir/StructureDefinition/structuredefinition-codegen-super ",
}

func knownExtensionDefect(is Issue) bool {
	if is.Check != CheckExtension {
		return false
	}
	for _, u := range knownExtensionDefects {
		if strings.Contains(is.Message, u) {
			return true
		}
	}
	return false
}

// TestOfficialExamples validates resources shipped in the official packages, which the spec
// says are valid: the definitions themselves (a sample of each kind, from the core packages)
// and all UK Core examples. None may have an error, except the documented ones.
func TestOfficialExamples(t *testing.T) {
	for _, tc := range []struct {
		file    string
		version Version
	}{
		{"r4-core-sample.ndjson.gz", R4},
		{"ukcore-examples.ndjson.gz", R4},
		{"stu3-core-sample.ndjson.gz", STU3},
	} {
		t.Run(tc.file, func(t *testing.T) {
			v, err := New(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			data := readGz(t, filepath.Join("testdata", tc.file))
			counts := map[string]int{}
			n := 0
			_, err = v.ValidateStream(context.Background(), bytes.NewReader(data), func(r Result) error {
				n++
				for _, is := range r.Issues {
					if is.Severity != SeverityError && is.Severity != SeverityFatal {
						continue
					}
					key := fmt.Sprintf("%s/%s %s", r.ResourceType, r.ID, is.Check)
					if is.Key != "" {
						key = fmt.Sprintf("%s/%s %s", r.ResourceType, r.ID, is.Key)
					}
					if _, ok := knownExampleErrors[key]; ok || knownExtensionDefect(is) {
						continue
					}
					counts[string(is.Check)+" "+is.Key]++
					if counts[string(is.Check)+" "+is.Key] <= 3 {
						t.Errorf("%s line %d: %s %s %s: %s", key, is.Line, is.Check, is.Key, is.Expression, is.Message)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k, c := range counts {
				keys = append(keys, fmt.Sprintf("%6d %s", c, k))
			}
			sort.Strings(keys)
			if len(keys) > 0 {
				t.Logf("%d resources; errors by kind:\n%s", n, strings.Join(keys, "\n"))
			}
			if n < 100 {
				t.Errorf("only %d resources validated", n)
			}
		})
	}
}
