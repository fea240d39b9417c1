// Command genprobedoc writes docs/probes.md from the probe registry (go generate ./probes/all).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nhs-jigsaw/jigsaw/probes/all"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genprobedoc OUTPUT.md")
		os.Exit(2)
	}
	out := os.Args[1]
	tmp, err := os.CreateTemp(filepath.Dir(out), ".probes-*.md")
	if err != nil {
		fmt.Fprintln(os.Stderr, "genprobedoc:", err)
		os.Exit(1)
	}
	_, werr := tmp.Write(all.Markdown(all.Registry()))
	cerr := tmp.Close()
	if werr == nil && cerr == nil {
		werr = os.Rename(tmp.Name(), out)
	}
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		fmt.Fprintln(os.Stderr, "genprobedoc: write", out, werr, cerr)
		os.Exit(1)
	}
}
