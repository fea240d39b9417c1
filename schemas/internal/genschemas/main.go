// Command genschemas writes every registered JSON Schema to <name>.schema.json in the current
// directory. Run it with `go generate ./schemas`.
package main

import (
	"fmt"
	"os"

	"github.com/nhs-jigsaw/jigsaw/schemas"
	"github.com/nhs-jigsaw/jigsaw/schemas/registry"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genschemas:", err)
		os.Exit(1)
	}
}

func run() error {
	for _, e := range registry.Entries() {
		b, err := registry.Generate(e.Name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(schemas.FileName(e.Name), b, 0o644); err != nil {
			return fmt.Errorf("write schema %s: %w", e.Name, err)
		}
	}
	return nil
}
