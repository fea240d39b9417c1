package checklist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/nhs-jigsaw/jigsaw/schemas"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

// SchemaName is the name of the published JSON Schema checklist files are validated against.
const SchemaName = "checklist"

// Option adjusts how a checklist file is read.
type Option func(*options)

type options struct {
	knownProbe func(string) bool
	ctx        context.Context
}

// WithContext stops reading, with ctx's error, when ctx is cancelled (Ctrl-C).
func WithContext(ctx context.Context) Option {
	return func(o *options) { o.ctx = ctx }
}

// WithKnownProbes also checks every linked probe id with known, so that one pass reports
// probe-id mistakes together with everything else.
func WithKnownProbes(known func(probeID string) bool) Option {
	return func(o *options) { o.knownProbe = known }
}

// Load reads and validates a checklist file. On failure the error is a yamldoc.Errors listing
// every problem as file:line:column: field: message.
func Load(path string, opts ...Option) (*Checklist, error) {
	data, err := yamldoc.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read checklist: %w", err)
	}
	return Parse(path, data, opts...)
}

// Parse reads and validates a checklist from data; name is the file name used in errors. The
// YAML must match the published schema exactly (unknown fields are errors) and pass Validate.
// Linked probe ids are only checked when WithKnownProbes is given.
func Parse(name string, data []byte, opts ...Option) (*Checklist, error) {
	o := options{ctx: context.Background()}
	for _, opt := range opts {
		opt(&o)
	}
	sch, err := schemas.Compile(SchemaName)
	if err != nil {
		return nil, fmt.Errorf("checklist schema: %w", err)
	}
	c := &Checklist{}
	doc, schemaProblems, err := yamldoc.LoadContext(o.ctx, name, data, sch, c)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	c.SHA256 = hex.EncodeToString(sum[:])
	c.Source = name
	c.doc = doc
	if all := yamldoc.Merge(schemaProblems, problems(c, o.knownProbe)); len(all) > 0 {
		return nil, doc.Errors(all)
	}
	return c, nil
}
