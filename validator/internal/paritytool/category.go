package main

// Categories of test cases, decided from the manifest line and Java's expected outcome alone
// (never from the case's name), in this order of precedence:
//
//   - terminology: the module is tx or tx-advanced, or every error Java reports came from its
//     terminology server (the issue carries the operationoutcome-issue-server extension), so the
//     verdict cannot be reproduced offline.
//   - profiles: the case needs definitions beyond the core specification: a profile to validate
//     against, supporting files (profiles, extensions, Questionnaires, value sets), packages,
//     a logical model, a package map or matchetype mode.
//   - options: the case sets a validator option Java does not use by default (allow-comments,
//     security-checks, validateReference, ...). A key the tool does not know counts as an option.
//   - base: everything else — the base specification alone decides.
const (
	catBase        = "base"
	catProfiles    = "profiles"
	catOptions     = "options"
	catTerminology = "terminology"
)

var categoryOrder = []string{catBase, catProfiles, catOptions, catTerminology}

// descriptive keys: they say something about a case without changing how it is validated.
var descriptiveKeys = map[string]bool{
	"name": true, "version": true, "module": true, "file": true, "fhir_version": true,
	"supporting_files": true, "java_outcome": true, "java_outcome_inline": true,
	"java_error_count": true, "description": true, "explanation": true, "documentation": true,
	"firely-sdk-current": true, "firely-sdk-wip": true, "brianpos": true,
	// "standalone" fetcher: Java resolves canonical references from its package cache; the
	// definitions a case needs are in its supporting files.
	"fetcher": true,
}

// definitionKeys need definitions beyond the core specification.
var definitionKeys = []string{"profile", "packages", "logical", "package-map", "matchetype"}

func categorize(tc *testCase) string {
	if tc.Module == "tx" || tc.Module == "tx-advanced" || tc.javaTxDependent {
		return catTerminology
	}
	for _, k := range definitionKeys {
		if _, ok := tc.raw[k]; ok {
			return catProfiles
		}
	}
	if len(tc.Supporting) > 0 {
		return catProfiles
	}
	for k := range tc.raw {
		if !descriptiveKeys[k] {
			return catOptions
		}
	}
	return catBase
}

// optionNames lists the option keys a case sets, for the report.
func optionNames(tc *testCase) []string {
	var out []string
	for k := range tc.raw {
		if descriptiveKeys[k] {
			continue
		}
		skip := false
		for _, d := range definitionKeys {
			if k == d {
				skip = true
			}
		}
		if !skip {
			out = append(out, k)
		}
	}
	return out
}
