package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// outputFormats are the -o values every printing command shares.
var outputFormats = []string{"table", "json"}

// addOutputFlag registers -o/--output, the output flag group every printing command shares,
// with completion of its values. The JSON each command prints is described by a published
// schema (`jigsaw schema cli-…`).
func addOutputFlag(cmd *cobra.Command, p *string, persistent bool) {
	fl := cmd.Flags()
	if persistent {
		fl = cmd.PersistentFlags()
	}
	fl.StringVarP(p, "output", "o", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

// checkOutputFormat accepts the -o values every printing command shares ("" is table, for
// options built without the flag).
func checkOutputFormat(format string) error {
	if format != "" && format != "table" && format != "json" {
		return usageErrorf("unknown output format %q: use table or json", format)
	}
	return nil
}

// writeJSON prints v as indented JSON, leaving <, > and & as they are (the output is read by
// people and tools, never embedded in HTML).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// nonNil turns a nil slice into an empty one, so JSON prints [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
