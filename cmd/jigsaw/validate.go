package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/validator"
)

// validateOptions are the inputs of jigsaw validate.
type validateOptions struct {
	IO          IO
	Files       []string // "-" is standard input
	FHIRVersion string
	Format      string // table or json
	Packages    []string
	Profiles    []string // canonical URLs every top-level resource is validated against
	Quiet       bool     // table: only errors and the summary
}

// maxJSONResults bounds the per-resource outcomes kept for -o json on a multi-resource input,
// so that a huge NDJSON file does not fill memory; the summary always counts everything.
const maxJSONResults = 1000

type validateFileOutput = cliout.ValidateFile

type validateResourceJSON = cliout.ValidateResource

func newValidateCmd(streams IO) *cobra.Command {
	opts := validateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate FHIR resources, Bundles or NDJSON against the official definitions",
		Long: `Validate checks FHIR JSON against definitions generated from the official packages
(R4 4.0.1 with UK Core 2.0.0, or STU3 3.0.1): JSON syntax, unknown elements, JSON types,
primitive formats, cardinality, choice types, resource types, required bindings, extensions,
references, contained resources, every Bundle entry, the "_element" form, empty values,
the core invariants (FHIRPath), extensions against their definitions, NHS numbers (check
digit), and profiles: those a resource declares in meta.profile and those given with
--profile (cardinality, types, fixed and pattern values, slicing, bindings, invariants).
UK Core 2.0.0 is built in; --package loads another FHIR package (a newer UK Core, an IG).

A FILE may hold one resource, a Bundle, several concatenated resources or NDJSON (one resource
per line); "-" reads standard input. Input of any size is streamed with bounded memory.

With -o json a file holding one resource prints its OperationOutcome; a file holding several
prints a summary and the outcomes of the resources that have issues. Exit status 1 when any
error is found.`,
		Example: `  jigsaw validate patient.json
  jigsaw validate --fhir-version STU3 gp-connect-bundle.json
  jigsaw validate -o json export.ndjson
  jigsaw validate --profile https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient patient.json
  jigsaw validate --package my-ig.tgz --profile http://example.org/StructureDefinition/MyObs obs.json
  cat bundle.json | jigsaw validate -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			return runValidate(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.FHIRVersion, "fhir-version", "R4", "FHIR version of the input: R4 or STU3")
	addOutputFlag(cmd, &opts.Format, false)
	cmd.Flags().StringSliceVar(&opts.Packages, "package", nil, "extra FHIR package (.tgz) to load, e.g. a newer UK Core (repeatable)")
	cmd.Flags().StringSliceVar(&opts.Profiles, "profile", nil, "validate every top-level resource against this profile's canonical URL too (repeatable)")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "table output: show errors only, not warnings and information")
	return cmd
}

func runValidate(ctx context.Context, opts validateOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	if len(opts.Files) == 0 {
		return usageErrorf("validate needs at least one FILE (or - for standard input)")
	}
	var profileOpts []validator.Option
	for _, p := range opts.Profiles {
		profileOpts = append(profileOpts, validator.WithProfile(p))
	}
	v, version, err := newFileValidator(opts.FHIRVersion, opts.Packages, profileOpts...)
	if err != nil {
		return err
	}
	failed := false
	var jsonDocs []any
	var total validator.Summary
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	for _, file := range opts.Files {
		var results []validator.Result // for json: resources with issues, capped
		var first *validator.Result
		count := 0
		truncated := false
		sum, err := validateInput(ctx, v, file, opts.IO.In, func(r validator.Result) error {
			count++
			if count == 1 {
				rc := r
				first = &rc
			}
			if opts.Format == "json" {
				if len(r.Issues) > 0 {
					if len(results) < maxJSONResults {
						results = append(results, r)
					} else {
						truncated = true
					}
				}
				return nil
			}
			printResultTable(tw, file, r, opts.Quiet)
			return nil
		})
		if err != nil {
			return err
		}
		if count == 0 {
			return fmt.Errorf("%s: nothing to validate: the input is empty or only whitespace (give a FHIR JSON resource, Bundle or NDJSON)", file)
		}
		addSummary(&total, sum)
		if sum.Errors > 0 {
			failed = true
		}
		if opts.Format == "json" {
			if count == 1 && first != nil {
				jsonDocs = append(jsonDocs, validator.Outcome(first.Issues))
				continue
			}
			out := validateFileOutput{File: file, Summary: sum, Outcomes: []validateResourceJSON{}, Truncated: truncated}
			for _, r := range results {
				out.Outcomes = append(out.Outcomes, validateResourceJSON{Index: r.Index, ResourceType: r.ResourceType, ID: r.ID, Line: r.Line, Outcome: validator.Outcome(r.Issues)})
			}
			jsonDocs = append(jsonDocs, out)
		}
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		var doc any = jsonDocs
		if len(jsonDocs) == 1 {
			doc = jsonDocs[0]
		}
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	} else {
		tw.Flush()
		fmt.Fprintf(opts.IO.Out, "%d resources (%s, %s): %d valid, %d errors, %d warnings, %d information\n",
			total.Resources, version, humanBytes(total.Bytes), total.Valid, total.Errors, total.Warnings, total.Information)
		if len(total.Checks) > 0 {
			var parts []string
			for c, n := range total.Checks {
				parts = append(parts, fmt.Sprintf("%s %d", c, n))
			}
			sort.Strings(parts)
			fmt.Fprintf(opts.IO.Out, "by check: %s\n", strings.Join(parts, ", "))
		}
	}
	if failed {
		return errSilentFailure
	}
	return nil
}

// validationMemoryLimit is a soft heap limit for validate and terminology runs. Streaming keeps
// the live heap small for NDJSON and single resources; a large Bundle keeps a summary of each
// entry (about 0.7 KB: its skeleton, fullUrl, id, references) until it ends: 110 MB of
// Bundle of 147,000 entries lives in about 140 MB of heap (measured with GODEBUG=gctrace=1).
// A limit under the live heap only makes the collector run continuously (it did at 160 MB:
// 2.3 s of CPU for that Bundle instead of 1.6 s).
const validationMemoryLimit = 512 << 20

// setMemoryLimit applies validationMemoryLimit unless the user set GOMEMLIMIT.
func setMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(validationMemoryLimit)
	}
}

func validateInput(ctx context.Context, v *validator.Validator, file string, stdin io.Reader, fn func(validator.Result) error) (validator.Summary, error) {
	if file == "-" {
		if stdin == nil {
			return validator.Summary{}, usageErrorf("no standard input to read")
		}
		sum, err := v.ValidateStream(ctx, stdin, fn)
		if err != nil {
			return sum, fmt.Errorf("validate standard input: %w", err)
		}
		return sum, nil
	}
	if _, err := os.Stat(file); err != nil {
		return validator.Summary{}, fmt.Errorf("validate %s: %w", file, err)
	}
	return v.ValidateFile(ctx, file, fn)
}

func printResultTable(w io.Writer, file string, r validator.Result, quiet bool) {
	for _, is := range r.Issues {
		if quiet && is.Severity != validator.SeverityError && is.Severity != validator.SeverityFatal {
			continue
		}
		where := fmt.Sprintf("%s:%d:%d", file, is.Line, is.Column)
		what := r.ResourceType
		if r.ID != "" {
			what += "/" + r.ID
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", termSafe(where), is.Severity, is.Check, termSafe(what), termSafe(is.Expression), termSafe(is.Message))
	}
}

func addSummary(total *validator.Summary, s validator.Summary) {
	total.Resources += s.Resources
	total.Bytes += s.Bytes
	total.Valid += s.Valid
	total.Errors += s.Errors
	total.Warnings += s.Warnings
	total.Information += s.Information
	if total.Checks == nil {
		total.Checks = map[validator.Check]int{}
		total.ResourceTypes = map[string]int{}
	}
	for k, n := range s.Checks {
		total.Checks[k] += n
	}
	for k, n := range s.ResourceTypes {
		total.ResourceTypes[k] += n
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// newFileValidator builds the validator that validate and terminology read files with: the FHIR
// version's built-in definitions plus any extra packages, under the memory limit that keeps
// a huge input bounded.
func newFileValidator(fhirVersion string, packages []string, more ...validator.Option) (*validator.Validator, validator.Version, error) {
	version, err := validator.ParseVersion(fhirVersion)
	if err != nil {
		return nil, "", usageErrorf("%v", err)
	}
	setMemoryLimit()
	var vopts []validator.Option
	for _, p := range packages {
		vopts = append(vopts, validator.WithPackage(p))
	}
	v, err := validator.New(version, append(vopts, more...)...)
	if err != nil {
		return nil, "", err
	}
	return v, version, nil
}
