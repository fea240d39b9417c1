// Command paritytool measures how far Jigsaw's validator agrees with the HL7 Java validator on
// the fhir-test-cases extract (../shared/fhir/fhir-test-cases-visible.tgz): it validates every
// R4/STU3 case with the case's supporting files, and compares the result with the
// OperationOutcome Java is expected to produce.
//
//	paritytool [-corpus FILE.tgz|DIR] [-run REGEXP] [-category base] [-v] [-diff-only] [-json FILE]
//
// Agreement (see docs/validator.md):
//   - verdict: both say valid (no error or fatal issue) or both say invalid;
//   - error count: both report the same number of error and fatal issues (a stricter figure,
//     shown alongside).
//
// Cases are grouped by category (base, profiles, options, terminology; see category.go) and by
// the manifest's module. scripts/validator-parity.sh runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nhs-jigsaw/jigsaw/validator"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "paritytool:", err)
		os.Exit(1)
	}
}

// row is one judged validation: a case's base validation, or its validation against a profile.
type row struct {
	Name         string   `json:"name"`
	Module       string   `json:"module"`
	Category     string   `json:"category"`
	FHIRVersion  string   `json:"fhirVersion"`
	Options      []string `json:"options,omitempty"`
	JavaErrors   int      `json:"javaErrors"`
	JigsawErrors int      `json:"jigsawErrors"`
	Verdict      bool     `json:"verdictAgrees"`
	Count        bool     `json:"errorCountAgrees"`
	Skipped      string   `json:"skipped,omitempty"` // why the case was not judged
	Note         string   `json:"note,omitempty"`

	javaIssues   []javaIssue
	jigsawIssues []validator.Issue
}

func valid(errors int) string {
	if errors < 0 {
		return "none"
	}
	if errors > 0 {
		return "invalid"
	}
	return "valid"
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("paritytool", flag.ContinueOnError)
	src := fs.String("corpus", "../shared/fhir/fhir-test-cases-visible.tgz", "the corpus: the .tgz or the folder it was unpacked into")
	filter := fs.String("run", "", "only cases whose name matches this regular expression")
	onlyCat := fs.String("category", "", "only this category (base, profiles, options, terminology)")
	verbose := fs.Bool("v", false, "for each disagreement, list both validators' errors")
	diffOnly := fs.Bool("diff-only", false, "list only the cases where the verdicts differ")
	jsonOut := fs.String("json", "", "also write the rows as JSON to this file")
	timeout := fs.Duration("timeout", time.Minute, "time limit for one case")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var re *regexp.Regexp
	if *filter != "" {
		var err error
		if re, err = regexp.Compile(*filter); err != nil {
			return fmt.Errorf("-run: %w", err)
		}
	}
	c, err := readCorpus(*src)
	if err != nil {
		return err
	}
	r := &runner{c: c, validators: map[string]*validator.Validator{}, timeout: *timeout}
	defer r.cleanup()
	var rows []*row
	for i := range c.cases {
		tc := &c.cases[i]
		if re != nil && !re.MatchString(tc.Name) {
			continue
		}
		for _, rw := range r.runCase(tc) {
			if *onlyCat != "" && rw.Category != *onlyCat {
				continue
			}
			rows = append(rows, rw)
		}
	}
	printRows(out, rows, *verbose, *diffOnly)
	printSummary(out, rows)
	if *jsonOut != "" {
		data, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printRows(out io.Writer, rows []*row, verbose, diffOnly bool) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tcategory\tmodule\tfhir\tjava\tjigsaw\tverdict\terrors java/jigsaw\tnote")
	for _, rw := range rows {
		if rw.Skipped != "" {
			if !diffOnly {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t-\tskipped\t\t%s\n", rw.Name, rw.Category, rw.Module, rw.FHIRVersion, rw.Skipped)
			}
			continue
		}
		if diffOnly && rw.Verdict {
			continue
		}
		mark := "agree"
		if !rw.Verdict {
			mark = "DIFFER"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", rw.Name, rw.Category, rw.Module, rw.FHIRVersion,
			valid(rw.JavaErrors), valid(rw.JigsawErrors), mark, rw.JavaErrors, rw.JigsawErrors, rw.Note)
		if verbose && (!rw.Verdict || !rw.Count) {
			tw.Flush()
			for _, is := range rw.javaIssues {
				if is.isError() {
					fmt.Fprintf(out, "    java   %s %s: %s\n", is.Severity, strings.Join(is.Expression, ","), oneLine(is.Details.Text))
				}
			}
			for _, is := range rw.jigsawIssues {
				if is.Severity == validator.SeverityError || is.Severity == validator.SeverityFatal {
					fmt.Fprintf(out, "    jigsaw %s %s [%s] %d:%d: %s\n", is.Severity, is.Expression, is.Check, is.Line, is.Column, oneLine(is.Message))
				}
			}
		}
	}
	tw.Flush()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

type tally struct{ cases, verdict, count, skipped int }

func (t *tally) add(rw *row) {
	if rw.Skipped != "" {
		t.skipped++
		return
	}
	t.cases++
	if rw.Verdict {
		t.verdict++
	}
	if rw.Count {
		t.count++
	}
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(d))
}

func printSummary(out io.Writer, rows []*row) {
	byCat := map[string]*tally{}
	byMod := map[string]*tally{}
	total := &tally{}
	for _, rw := range rows {
		if byCat[rw.Category] == nil {
			byCat[rw.Category] = &tally{}
		}
		mod := rw.Category + "/" + rw.Module
		if byMod[mod] == nil {
			byMod[mod] = &tally{}
		}
		byCat[rw.Category].add(rw)
		byMod[mod].add(rw)
		total.add(rw)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(name string, t *tally) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%d\t\n", name, t.cases, t.verdict, pct(t.verdict, t.cases), t.count, pct(t.count, t.cases), t.skipped)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "== agreement with the HL7 Java validator by category")
	fmt.Fprintln(tw, "category\tjudged\tverdict agrees\t\terror count agrees\t\tskipped\t")
	for _, c := range categoryOrder {
		if t := byCat[c]; t != nil {
			line(c, t)
		}
	}
	line("TOTAL", total)
	tw.Flush()
	fmt.Fprintln(out)
	fmt.Fprintln(out, "== by category/module")
	var mods []string
	for m := range byMod {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	fmt.Fprintln(tw, "category/module\tjudged\tverdict agrees\t\terror count agrees\t\tskipped\t")
	for _, m := range mods {
		line(m, byMod[m])
	}
	tw.Flush()
}

// runner validates cases, reusing one validator per FHIR version and set of supporting files.
type runner struct {
	c          *corpus
	validators map[string]*validator.Validator
	tmp        string
	timeout    time.Duration
}

func (r *runner) cleanup() {
	if r.tmp != "" {
		os.RemoveAll(r.tmp)
	}
}

func (r *runner) runCase(tc *testCase) []*row {
	base := &row{Name: tc.Name, Module: tc.Module, Category: categorize(tc), FHIRVersion: tc.FHIRVersion, Options: optionNames(tc)}
	sort.Strings(base.Options)
	rows := []*row{base}
	version, err := validator.ParseVersion(tc.FHIRVersion)
	if err != nil {
		base.Skipped = "FHIR version " + tc.FHIRVersion + " is not supported"
		return rows
	}
	if !tc.javaJudged {
		base.Skipped = "no Java outcome"
	} else {
		base.javaIssues, base.JavaErrors = tc.javaIssues, tc.javaErrors
		r.judge(base, tc, version, tc.Supporting, "")
	}
	if tc.Profile != nil && tc.Profile.Source != "" {
		issues, count, ok, err := r.c.javaProfileOutcome(tc)
		prow := &row{Name: tc.Name + " [profile]", Module: tc.Module, Category: catProfiles, FHIRVersion: tc.FHIRVersion, Options: base.Options}
		if base.Category == catTerminology {
			prow.Category = catTerminology
		}
		switch {
		case err != nil:
			prow.Skipped = err.Error()
		case !ok:
			prow.Skipped = "no Java outcome for the profile"
		default:
			prow.javaIssues = issues
			tx := 0
			for _, is := range issues {
				if is.isError() {
					prow.JavaErrors++
					if is.fromServer() {
						tx++
					}
				}
			}
			if count >= 0 {
				prow.JavaErrors = count
			}
			if tx > 0 && tx == prow.JavaErrors {
				prow.Category = catTerminology
			}
			src := "cases/" + tc.Profile.Source
			files := append(append([]string(nil), tc.Supporting...), src)
			for _, s := range tc.Profile.Supporting {
				// The extract leaves out some of these (bb-vs.json): a profile is judged with
				// those it has.
				if _, ok := r.c.files["cases/"+s]; ok {
					files = append(files, "cases/"+s)
				}
			}
			r.judge(prow, tc, version, files, src)
		}
		rows = append(rows, prow)
	}
	return rows
}

// judge validates the case file and fills in Jigsaw's side of the row.
func (r *runner) judge(rw *row, tc *testCase, version validator.Version, supporting []string, profileFile string) {
	data, ok := r.c.files[tc.File]
	if !ok {
		rw.Skipped = "case file " + tc.File + " not in the corpus"
		return
	}
	v, note, err := r.validator(version, supporting, profileFile, tc)
	if err != nil {
		// Jigsaw cannot load what the case needs: it cannot give a verdict, which counts as
		// a disagreement rather than being left out.
		rw.Note = "definitions not loaded: " + oneLine(err.Error())
		rw.JigsawErrors = -1
		rw.Verdict, rw.Count = false, false
		return
	}
	rw.Note = note
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	rw.jigsawIssues = v.ValidateResource(ctx, data)
	for _, is := range rw.jigsawIssues {
		if is.Severity == validator.SeverityError || is.Severity == validator.SeverityFatal {
			rw.JigsawErrors++
		}
	}
	rw.Verdict = (rw.JavaErrors > 0) == (rw.JigsawErrors > 0)
	rw.Count = rw.JavaErrors == rw.JigsawErrors
}
