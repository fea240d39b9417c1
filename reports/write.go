package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/internal/atomicfile"
)

// Format is an output format.
type Format string

// The formats every report and league table can be written in.
const (
	PDF  Format = "pdf"
	XLSX Format = "xlsx"
	JSON Format = "json"
)

// Formats lists every format.
func Formats() []Format { return []Format{PDF, XLSX, JSON} }

// ParseFormats reads a comma-separated list such as "pdf,xlsx"; duplicates are dropped.
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	seen := map[Format]bool{}
	for _, part := range strings.Split(s, ",") {
		f := Format(strings.ToLower(strings.TrimSpace(part)))
		if f == "" {
			continue
		}
		switch f {
		case PDF, XLSX, JSON:
		default:
			return nil, fmt.Errorf("unknown report format %q (want pdf, xlsx or json)", part)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no report format given (want a comma-separated list of pdf, xlsx, json)")
	}
	return out, nil
}

// RenderJSON writes the report model as indented JSON.
func RenderJSON(w io.Writer, r *Report) error { return writeJSON(w, r) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("render JSON: %w", err)
	}
	return nil
}

// WriteReport writes the report in each format to dir/base.<format> and returns the paths
// written. Each file appears whole or not at all.
func WriteReport(ctx context.Context, dir, base string, r *Report, formats []Format) ([]string, error) {
	if base == "" || base == "." || base == ".." || strings.ContainsAny(base, `/\`) {
		return nil, fmt.Errorf("report file name %q must be a plain name without a directory (for example the ODS code)", base)
	}
	return writeAll(ctx, dir, base, formats, map[Format]func(io.Writer) error{
		PDF:  func(w io.Writer) error { return RenderPDF(w, r) },
		XLSX: func(w io.Writer) error { return RenderXLSX(w, r) },
		JSON: func(w io.Writer) error { return RenderJSON(w, r) },
	})
}

// WriteLeague writes the league table in each format to dir/league.<format>.
func WriteLeague(ctx context.Context, dir string, l *League, formats []Format) ([]string, error) {
	return writeAll(ctx, dir, "league", formats, map[Format]func(io.Writer) error{
		PDF:  func(w io.Writer) error { return RenderLeaguePDF(w, l) },
		XLSX: func(w io.Writer) error { return RenderLeagueXLSX(w, l) },
		JSON: func(w io.Writer) error { return RenderLeagueJSON(w, l) },
	})
}

func writeAll(ctx context.Context, dir, base string, formats []Format, render map[Format]func(io.Writer) error) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create report directory: %w", err)
	}
	var written []string
	for _, f := range formats {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		fn, ok := render[f]
		if !ok {
			return written, fmt.Errorf("unknown report format %q", f)
		}
		path := filepath.Join(dir, base+"."+string(f))
		if err := WriteFileAtomic(path, fn); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// WriteFileAtomic renders into a temporary file in path's directory and renames it over path
// only when rendering and syncing succeeded, so readers never see a half-written file.
func WriteFileAtomic(path string, render func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, render)
}
