package main

import (
	"io"
	"os"
	"strconv"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/nhs-jigsaw/jigsaw/verdict"
)

// termInfo is what a table needs to know about where it is printed.
type termInfo struct {
	// Width is the terminal's width in columns; 0 when unknown (output piped to a file or
	// another program), when tables keep their natural width.
	Width int
	// Color is true on a terminal unless NO_COLOR is set (https://no-color.org) or TERM=dumb.
	Color bool
}

// terminalOf describes w: a terminal's size, else $COLUMNS when set; colour only on a terminal.
func terminalOf(w io.Writer, getenv func(string) string) termInfo {
	var ti termInfo
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			ti.Width = width
		}
		ti.Color = getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
	}
	if ti.Width == 0 {
		if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
			ti.Width = n
		}
	}
	return ti
}

// ANSI SGR colours for statuses.
const (
	sgrReset   = "\x1b[0m"
	sgrRed     = "\x1b[31m"
	sgrGreen   = "\x1b[32m"
	sgrYellow  = "\x1b[33m"
	sgrMagenta = "\x1b[35m"
	sgrDim     = "\x1b[2m"
	sgrBold    = "\x1b[1m"
)

func statusColor(s verdict.Status) string {
	switch s {
	case verdict.Pass:
		return sgrGreen
	case verdict.Warn:
		return sgrYellow
	case verdict.Fail:
		return sgrRed
	case verdict.Error:
		return sgrMagenta
	default:
		return sgrDim
	}
}

// paint wraps s in the SGR code when colour is on.
func (ti termInfo) paint(code, s string) string {
	if !ti.Color || code == "" {
		return s
	}
	return code + s + sgrReset
}

// pad left-aligns s in n columns (counting runes, not bytes).
func pad(s string, n int) string {
	for c := utf8.RuneCountInString(s); c < n; c++ {
		s += " "
	}
	return s
}
