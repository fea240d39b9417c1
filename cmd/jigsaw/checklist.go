package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/cliout"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

// checklistOptions are shared by the checklist subcommands.
type checklistOptions struct {
	IO     IO
	Format string // table or json
	// Catalog resolves ID[@VERSION] references; the embedded catalogue by default.
	Catalog *checklist.Registry
	// KnownProbe says whether a linked probe id exists; the live probe registry by default.
	KnownProbe func(probeID string) bool
}

type checklistShowOptions struct {
	checklistOptions
	Ref  string
	Item string
}

type checklistValidateOptions struct {
	checklistOptions
	File string
}

type checklistDiffOptions struct {
	checklistOptions
	From, To string
}

func newChecklistCmd(f *factory) *cobra.Command {
	streams := f.IO
	base := checklistOptions{IO: streams, Catalog: f.Catalog(), KnownProbe: f.Registry().Has}
	cmd := &cobra.Command{
		Use:   "checklist",
		Short: "List, show, validate and compare checklists",
		Long: `A checklist is a versioned catalogue of interoperability requirements, such as
nhs-interop@2026.1. The catalogue is embedded in jigsaw; your own checklist files can be
validated and compared with it.`,
	}
	addOutputFlag(cmd, &base.Format, true)

	list := &cobra.Command{
		Use:   "list",
		Short: "List the checklists in the embedded catalogue",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runChecklistList(c.Context(), base)
		},
	}

	show := &checklistShowOptions{}
	showCmd := &cobra.Command{
		Use:   "show ID[@VERSION]|FILE",
		Short: "Show a checklist, or one item with --item",
		Example: `  jigsaw checklist show nhs-interop
  jigsaw checklist show nhs-interop@2026.1 --item TERM-01
  jigsaw checklist show ./my-checklist.yaml -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			show.checklistOptions, show.Ref = base, args[0]
			return runChecklistShow(c.Context(), *show)
		},
	}
	showCmd.Flags().StringVar(&show.Item, "item", "", "show only this item (for example TERM-01)")

	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Validate a checklist file, reporting every problem as file:line:column",
		Long: `Validate checks a checklist file against the published schema (jigsaw schema checklist)
and the catalogue rules: id and version formats, unique ids, all four level statements,
weights 1-5, known organisation types, references, evidence and known probe ids.
It prints every problem and exits 1 when there is any.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runChecklistValidate(c.Context(), checklistValidateOptions{checklistOptions: base, File: args[0]})
		},
	}

	diff := &cobra.Command{
		Use:   "diff A B",
		Short: "Show what changed from checklist A to checklist B",
		Long: `Diff compares two checklists item by item. A and B are each ID@VERSION from the
embedded catalogue or a checklist file path.`,
		Example: `  jigsaw checklist diff nhs-interop@2026.1 ./draft-2027.1.yaml`,
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return runChecklistDiff(c.Context(), checklistDiffOptions{checklistOptions: base, From: args[0], To: args[1]})
		},
	}

	cmd.AddCommand(list, showCmd, validate, diff, newChecklistTemplateCmd(streams))
	return cmd
}

func (o checklistOptions) checkFormat() error {
	if o.Format != "table" && o.Format != "json" {
		return usageErrorf("unknown output format %q: use table or json", o.Format)
	}
	return nil
}

// resolve reads a checklist named by a file path or by ID[@VERSION] from the catalogue.
func (o checklistOptions) resolve(ref string) (*checklist.Checklist, error) {
	c, err := o.Catalog.Resolve(ref, checklist.WithKnownProbes(o.KnownProbe))
	if err != nil && !checklist.IsFile(ref) {
		return nil, usageErrorf("%v", err)
	}
	return c, err
}

func runChecklistList(_ context.Context, o checklistOptions) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	entries, err := o.Catalog.List()
	if err != nil {
		return err
	}
	if o.Format == "json" {
		return checklistJSON(o.IO.Out, entries)
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVERSION\tDOMAINS\tITEMS\tSHA256\tTITLE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", e.ID, e.Version, e.Domains, e.Items, e.SHA256[:12], e.Title)
	}
	return tw.Flush()
}

type checklistView = cliout.ChecklistShow

type checklistItemView = cliout.ChecklistItem

type checklistDomainRef = cliout.DomainRef

func runChecklistShow(_ context.Context, o checklistShowOptions) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	c, err := o.resolve(o.Ref)
	if err != nil {
		return err
	}
	if o.Item != "" {
		it, d, ok := c.Item(o.Item)
		if !ok {
			return usageErrorf("%s has no item %q", c.Ref(), o.Item)
		}
		if o.Format == "json" {
			return checklistJSON(o.IO.Out, checklistItemView{Ref: c.Ref(), SHA256: c.SHA256, Domain: checklistDomainRef{ID: d.ID, Title: d.Title}, Item: it})
		}
		return writeChecklistItem(o.IO.Out, d, it)
	}
	if o.Format == "json" {
		return checklistJSON(o.IO.Out, checklistView{Ref: c.Ref(), SHA256: c.SHA256, Source: c.Source, Checklist: c})
	}
	return writeChecklist(o.IO.Out, c)
}

func writeChecklist(w io.Writer, c *checklist.Checklist) error {
	fmt.Fprintf(w, "%s  %s\n", c.Ref(), c.Title)
	var meta []string
	if c.Publisher != "" {
		meta = append(meta, "publisher "+c.Publisher)
	}
	if c.Published != "" {
		meta = append(meta, "published "+c.Published)
	}
	meta = append(meta, fmt.Sprintf("%d domains", len(c.Domains)), fmt.Sprintf("%d items", c.ItemCount()), "sha256 "+c.SHA256)
	fmt.Fprintln(w, strings.Join(meta, " · "))
	for _, d := range c.Domains {
		fmt.Fprintf(w, "\n%s: %s\n", d.ID, d.Title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  ID\tWEIGHT\tCRITICAL\tMANDATORY FOR\tPROBES\tTITLE")
		for _, it := range d.Items {
			crit := ""
			if it.Critical {
				crit = "yes"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%d\t%s\n", it.ID, it.Weight, crit, mandatoryForSummary(it.MandatoryFor), len(it.Probes), it.Title)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// orgTypeShort are the short labels used in the overview table.
var orgTypeShort = map[checklist.OrgType]string{
	checklist.AcuteTrust: "acute", checklist.MentalHealthTrust: "mental-health", checklist.CommunityTrust: "community",
	checklist.AmbulanceTrust: "ambulance", checklist.GPPractice: "gp", checklist.ICB: "icb", checklist.SocialCareProvider: "social-care",
}

func mandatoryForSummary(ts []checklist.OrgType) string {
	switch {
	case len(ts) == 0:
		return "-"
	case len(ts) == len(checklist.OrgTypes()):
		return "all"
	}
	labels := make([]string, 0, len(ts))
	for _, t := range checklist.OrgTypes() { // stable order whatever the file's order
		if slices.Contains(ts, t) {
			labels = append(labels, orgTypeShort[t])
		}
	}
	return strings.Join(labels, ",")
}

var checklistLevelNames = [5]string{"", "Not achieved", "Partially achieved", "Achieved", "Exceeds"}

func writeChecklistItem(w io.Writer, d *checklist.Domain, it *checklist.Item) error {
	const width = 100
	fmt.Fprintf(w, "%s  %s\n", it.ID, it.Title)
	fmt.Fprintf(w, "Domain:      %s (%s)\n", d.ID, d.Title)
	crit := "no"
	if it.Critical {
		crit = "yes (a failure is a critical safety or security failure)"
	}
	layer := string(it.Layer)
	if layer == "" {
		layer = "-"
	}
	fmt.Fprintf(w, "Weight:      %d    Layer: %s    Critical: %s\n", it.Weight, layer, crit)
	mandatory := "-"
	if len(it.MandatoryFor) > 0 {
		mandatory = strings.Join(orgTypeNames(it.MandatoryFor), ", ")
	}
	fmt.Fprintf(w, "Mandatory:   %s\n", mandatory)
	fmt.Fprintf(w, "\nQuestion\n%s\n", checklistWrapIndent(it.Question, "  ", width))
	fmt.Fprintf(w, "\nGuidance\n%s\n", checklistWrapIndent(it.Guidance, "  ", width))
	fmt.Fprintln(w, "\nEvidence expected")
	for _, e := range it.Evidence {
		fmt.Fprintln(w, checklistWrap(e, "  - ", "    ", width))
	}
	fmt.Fprintln(w, "\nLevels")
	for level := 1; level <= 4; level++ {
		fmt.Fprintln(w, checklistWrap(fmt.Sprintf("%s: %s", checklistLevelNames[level], it.Levels.Statement(level)), fmt.Sprintf("  %d ", level), "    ", width))
	}
	fmt.Fprintln(w, "\nReferences")
	for _, r := range it.References {
		fmt.Fprintln(w, checklistWrap(r.String(), "  - ", "    ", width))
	}
	if len(it.Probes) > 0 {
		fmt.Fprintln(w, "\nProbes")
		for _, p := range it.Probes {
			fmt.Fprintln(w, "  - "+p)
		}
	}
	return nil
}

func orgTypeNames(ts []checklist.OrgType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func checklistWrapIndent(text, indent string, width int) string {
	return checklistWrap(text, indent, indent, width)
}

// checklistWrap word-wraps text to width, starting with first and indenting later lines by rest.
func checklistWrap(text, first, rest string, width int) string {
	var b strings.Builder
	prefix := first
	line := 0
	for _, word := range strings.Fields(text) {
		if line > 0 && line+1+len(word) > width {
			b.WriteString("\n")
			line = 0
			prefix = rest
		}
		if line == 0 {
			b.WriteString(prefix)
			line = len(prefix)
		} else {
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

type checklistValidation = cliout.ChecklistValidate

func runChecklistValidate(ctx context.Context, o checklistValidateOptions) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	c, err := checklist.Load(o.File, checklist.WithKnownProbes(o.KnownProbe), checklist.WithContext(ctx))
	var problems yamldoc.Errors
	if err != nil && !errors.As(err, &problems) {
		return err // could not read the file at all
	}
	res := checklistValidation{File: o.File, Valid: err == nil, Errors: problems}
	if c != nil {
		res.Ref, res.SHA256, res.Domains, res.Items = c.Ref(), c.SHA256, len(c.Domains), c.ItemCount()
	}
	if o.Format == "json" {
		if err := checklistJSON(o.IO.Out, res); err != nil {
			return err
		}
	} else if res.Valid {
		fmt.Fprintf(o.IO.Out, "%s: valid %s (%d domains, %d items, sha256 %s)\n", o.File, res.Ref, res.Domains, res.Items, res.SHA256)
	} else {
		for _, e := range problems {
			fmt.Fprintln(o.IO.Out, e.Error())
		}
		fmt.Fprintf(o.IO.ErrOut, "%s: %d %s\n", o.File, len(problems), checklistPlural(len(problems), "problem", "problems"))
	}
	if !res.Valid {
		return errSilentFailure
	}
	return nil
}

func checklistPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func runChecklistDiff(_ context.Context, o checklistDiffOptions) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	a, err := o.resolve(o.From)
	if err != nil {
		return err
	}
	b, err := o.resolve(o.To)
	if err != nil {
		return err
	}
	d := checklist.Diff(a, b)
	if o.Format == "json" {
		return checklistJSON(o.IO.Out, d)
	}
	return writeChecklistDiff(o.IO.Out, d)
}

func writeChecklistDiff(w io.Writer, d checklist.VersionDiff) error {
	fmt.Fprintf(w, "%s -> %s\n", d.From, d.To)
	if d.Empty() {
		fmt.Fprintln(w, "no differences in domains or items")
		return nil
	}
	if len(d.DomainsAdded) > 0 {
		fmt.Fprintf(w, "domains added: %s\n", strings.Join(d.DomainsAdded, ", "))
	}
	if len(d.DomainsRemoved) > 0 {
		fmt.Fprintf(w, "domains removed: %s\n", strings.Join(d.DomainsRemoved, ", "))
	}
	section := func(title string, items []checklist.ItemSummary, mark string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s (%d)\n", title, len(items))
		for _, it := range items {
			fmt.Fprintf(w, "  %s %-8s %-22s %s\n", mark, it.ID, it.Domain, it.Title)
		}
	}
	section("added items", d.Added, "+")
	section("removed items", d.Removed, "-")
	if len(d.Changed) > 0 {
		fmt.Fprintf(w, "\nchanged items (%d)\n", len(d.Changed))
		for _, ch := range d.Changed {
			fmt.Fprintf(w, "  ~ %-8s %-22s %s\n", ch.ID, ch.Domain, ch.Title)
			for _, f := range ch.Fields {
				fmt.Fprintf(w, "      %s: %s\n", f.Field, describeFieldChange(f))
			}
		}
	}
	return nil
}

// describeFieldChange summarises one field change on a line: short values in full, long text as
// "reworded" (use -o json for the full text).
func describeFieldChange(f checklist.FieldChange) string {
	if len(f.Added) > 0 || len(f.Removed) > 0 {
		var parts []string
		for _, a := range f.Added {
			parts = append(parts, "+"+a)
		}
		for _, r := range f.Removed {
			parts = append(parts, "-"+r)
		}
		return strings.Join(parts, " ")
	}
	if len(f.From) > 40 || len(f.To) > 40 {
		return "reworded (see -o json)"
	}
	return fmt.Sprintf("%s -> %s", checklistQuoteEmpty(f.From), checklistQuoteEmpty(f.To))
}

func checklistQuoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func checklistJSON(w io.Writer, v any) error {
	return writeJSON(w, v)
}
