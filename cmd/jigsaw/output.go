package main

import (
	"encoding/json"
	"io"
)

// checkOutputFormat accepts the -o values every printing command shares.
func checkOutputFormat(format string) error {
	if format != "table" && format != "json" {
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
