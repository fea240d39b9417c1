package answers

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
)

// The example answers play the sandbox's three organisations in `jigsaw demo`: exemplar claims
// high and honestly, typical claims mostly 3 with a few over-claims, and legacy over-claims
// items its endpoints fail, so the demo shows claimed against verified levels.
//
//go:embed examples/*.yaml
var examples embed.FS

// ExampleNames lists the embedded example answers files (exemplar, legacy, typical).
func ExampleNames() []string {
	files, _ := fs.Glob(examples, "examples/*.yaml")
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// ExampleYAML returns the bytes of the named example answers file.
func ExampleYAML(name string) ([]byte, error) {
	b, err := examples.ReadFile("examples/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no example answers %q (have: %s)", name, strings.Join(ExampleNames(), ", "))
	}
	return b, nil
}

// Example parses the named example and validates it against c as of the day it was answered:
// an example is a snapshot, so its waivers are judged on that day, not today.
func Example(name string, c *checklist.Checklist) (*File, error) {
	b, err := ExampleYAML(name)
	if err != nil {
		return nil, err
	}
	f, err := Parse("examples/"+name+".yaml", b)
	if err != nil {
		return nil, err
	}
	at, _ := parseDateOrTime(f.AnsweredAt)
	if err := Validate(f, c, at); err != nil {
		return nil, err
	}
	return f, nil
}

// AnsweredOn is the date the answers were given (the zero time if answered_at is malformed,
// which validation reports).
func (f *File) AnsweredOn() time.Time {
	t, _ := parseDateOrTime(f.AnsweredAt)
	return t
}
