package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/terminology"
	"github.com/nhs-jigsaw/jigsaw/validator"
)

// terminologyOptions are the inputs of jigsaw terminology.
type terminologyOptions struct {
	IO          IO
	Files       []string // "-" is standard input
	FHIRVersion string
	Format      string // table or json
	Packages    []string
}

type terminologyOutput = cliout.Terminology

func newTerminologyCmd(streams IO) *cobra.Command {
	opts := terminologyOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "terminology FILE...",
		Short: "Profile the coding of a FHIR dataset: code systems, coverage, identifier check digits",
		Long: `Terminology reads FHIR resources, Bundles or NDJSON and profiles how they are coded: which
code systems every CodeableConcept and Coding uses (SNOMED CT, LOINC, dm+d, ICD-10, Read/CTV3,
FHIR, NHS, local, text only), coverage ratios, SNOMED CT identifier validity (Verhoeff check
digit and partition), LOINC check digits, NHS number modulus 11 and ODS code format.

Elements are found by their type in the FHIR definitions, not by guessing from names. The
findings are terminology findings only; structural errors are reported by jigsaw validate.
Exit status 1 when any identifier or code fails its check.`,
		Example: `  jigsaw terminology export.ndjson
  jigsaw terminology --fhir-version STU3 -o json gp-record.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			return runTerminology(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.FHIRVersion, "fhir-version", "R4", "FHIR version of the input: R4 or STU3")
	addOutputFlag(cmd, &opts.Format, false)
	cmd.Flags().StringSliceVar(&opts.Packages, "package", nil, "extra FHIR package (.tgz) to load (repeatable)")
	return cmd
}

func runTerminology(ctx context.Context, opts terminologyOptions) error {
	if err := checkOutputFormat(opts.Format); err != nil {
		return err
	}
	if len(opts.Files) == 0 {
		return usageErrorf("terminology needs at least one FILE (or - for standard input)")
	}
	v, version, err := newFileValidator(opts.FHIRVersion, opts.Packages)
	if err != nil {
		return err
	}
	a := terminology.NewAnalyzer()
	var structure validator.Summary
	for _, file := range opts.Files {
		var sum validator.Summary
		if file == "-" {
			if opts.IO.In == nil {
				return usageErrorf("no standard input to read")
			}
			sum, err = v.AnalyzeTerminology(ctx, opts.IO.In, a)
			if err != nil {
				return fmt.Errorf("analyse standard input: %w", err)
			}
		} else {
			f, err := os.Open(file)
			if err != nil {
				return fmt.Errorf("analyse %s: %w", file, err)
			}
			sum, err = v.AnalyzeTerminology(ctx, f, a)
			f.Close()
			if err != nil {
				return fmt.Errorf("analyse %s: %w", file, err)
			}
		}
		addSummary(&structure, sum)
	}
	p := a.Profile()
	if opts.Format == "json" {
		if err := writeJSON(opts.IO.Out, terminologyOutput{Files: opts.Files, FHIRVersion: string(version), Profile: p, Structure: structure}); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	} else {
		printTerminology(opts.IO, p, structure)
	}
	if p.NHSNumbers.Invalid+p.ODSCodes.Invalid > 0 || len(p.Findings) > 0 {
		return errSilentFailure
	}
	return nil
}

func pct(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

func printTerminology(io IO, p terminology.Profile, structure validator.Summary) {
	w := io.Out
	var types []string
	for t, n := range p.ResourceTypes {
		types = append(types, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(w, "Resources: %d (%s)\n", p.Resources, strings.Join(types, ", "))
	fmt.Fprintf(w, "CodeableConcepts: %d — coded %s, with SNOMED CT %s, national systems %s, local only %s, text only %d, empty %d\n",
		p.CodeableConcepts, pct(p.CodedRatio), pct(p.SNOMEDRatio), pct(p.NationalRatio), pct(p.LocalOnlyRatio), p.TextOnly, p.Empty)
	var cats []string
	for c, n := range p.ByCategory {
		cats = append(cats, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(cats)
	fmt.Fprintf(w, "Codings: %d (%s)\n", p.Codings, strings.Join(cats, ", "))
	fmt.Fprintf(w, "NHS numbers: %d (%d valid, %d invalid); ODS codes: %d (%d valid, %d invalid)\n\n",
		p.NHSNumbers.Total, p.NHSNumbers.Valid, p.NHSNumbers.Invalid, p.ODSCodes.Total, p.ODSCodes.Valid, p.ODSCodes.Invalid)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SYSTEM\tCATEGORY\tCODINGS\tINVALID")
	for _, s := range p.Systems {
		name := s.System
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", name, s.Category, s.Codings, s.Invalid)
	}
	tw.Flush()
	if len(p.Findings) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FINDING\tRESOURCE\tEXPRESSION\tVALUE\tMESSAGE")
		for _, f := range p.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Kind, f.ResourceType, f.Expression, f.Value, f.Message)
		}
		tw.Flush()
		if p.FindingsDropped > 0 {
			fmt.Fprintf(w, "... and %d more findings\n", p.FindingsDropped)
		}
	}
	fmt.Fprintf(w, "\n(structural validation of the same input: %d errors, %d warnings — see jigsaw validate)\n", structure.Errors, structure.Warnings)
}
