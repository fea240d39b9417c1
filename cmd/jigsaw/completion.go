package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/reports"
	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// registerCompletions gives shell completion (jigsaw completion bash|zsh|fish|powershell) the
// values of the flags that take a closed set, and checklist ids, on every command that has
// them.
func registerCompletions(root *cobra.Command, f *factory) {
	fixed := func(values ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
	}
	orgTypes := func() []string { return strs(checklist.OrgTypes()) }
	checklistRefs := func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return checklistCompletions(f), cobra.ShellCompDirectiveDefault // a file is fine too
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		has := func(name string) bool { return c.Flags().Lookup(name) != nil }
		reg := func(name string, fn cobra.CompletionFunc) {
			if has(name) {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		path := c.CommandPath()
		switch {
		case strings.HasSuffix(path, " sandbox"):
			reg("profile", fixed(strs(sandbox.Profiles())...))
		case has("target"):
			reg("profile", fixed("fhir", "gpconnect"))
		}
		reg("type", fixed(orgTypes()...))
		reg("fhir-version", fixed(probes.R4, probes.STU3))
		reg("pack", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return f.Registry().Packs(), cobra.ShellCompDirectiveNoFileComp
		})
		reg("probe", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var ids []string
			for _, p := range f.Registry().All() {
				ids = append(ids, p.Meta().ID)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		})
		if has("format") && has("out") {
			reg("format", formatCompletions)
		}
		if has("checklist") {
			reg("checklist", checklistRefs)
		}
		// checklist show ID and checklist diff A B take checklist ids (or files).
		if strings.HasSuffix(path, "checklist show") || strings.HasSuffix(path, "checklist diff") {
			c.ValidArgsFunction = checklistRefs
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// formatCompletions completes a comma-separated list of report formats, one more at a time.
func formatCompletions(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	done, prefix := "", ""
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, prefix = toComplete[:i+1], toComplete[i+1:]
	} else {
		prefix = toComplete
	}
	var out []string
	for _, f := range []string{string(reports.PDF), string(reports.XLSX), string(reports.JSON)} {
		if strings.HasPrefix(f, prefix) && !slices.Contains(strings.Split(done, ","), f) {
			out = append(out, done+f)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// checklistCompletions lists the built-in checklists as id and id@version.
func checklistCompletions(f *factory) []string {
	entries, err := f.Catalog().List()
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !slices.Contains(out, e.ID) {
			out = append(out, e.ID)
		}
		out = append(out, e.ID+"@"+e.Version)
	}
	return out
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
