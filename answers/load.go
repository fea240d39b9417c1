package answers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/schemas"
	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// SchemaName is the published JSON Schema answers files are validated against.
const SchemaName = "answers"

// Option adjusts how an answers file is read.
type Option func(*options)

type options struct {
	checklist *checklist.Checklist
	asOf      time.Time
	ctx       context.Context
}

// WithContext stops reading, with ctx's error, when ctx is cancelled (Ctrl-C).
func WithContext(ctx context.Context) Option {
	return func(o *options) { o.ctx = ctx }
}

// WithChecklist also validates the answers against the checklist they answer: the checklist
// reference, item ids, and (when asOf is not zero) that no waiver has expired and nothing was
// answered in the future.
func WithChecklist(c *checklist.Checklist, asOf time.Time) Option {
	return func(o *options) { o.checklist, o.asOf = c, asOf }
}

// Load reads and validates an answers file. On failure the error is a yamldoc.Errors listing
// every problem as file:line:column: field: message.
func Load(path string, opts ...Option) (*File, error) {
	data, err := yamldoc.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read answers: %w", err)
	}
	return Parse(path, data, opts...)
}

// Parse reads and validates answers from data; name is the file name used in errors.
func Parse(name string, data []byte, opts ...Option) (*File, error) {
	o := options{ctx: context.Background()}
	for _, opt := range opts {
		opt(&o)
	}
	sch, err := schemas.Compile(SchemaName)
	if err != nil {
		return nil, fmt.Errorf("answers schema: %w", err)
	}
	f := &File{}
	doc, schemaProblems, err := yamldoc.LoadContext(o.ctx, name, data, sch, f)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f.SHA256 = hex.EncodeToString(sum[:])
	f.Source = name
	f.doc = doc
	if all := yamldoc.Merge(schemaProblems, problems(f, o.checklist, o.asOf)); len(all) > 0 {
		return nil, doc.Errors(all)
	}
	return f, nil
}

// Validate checks answers on their own (levels, statuses, waivers, dates, duplicates) and,
// when c is not nil, against the checklist they answer. asOf is the date waivers must not have
// expired by; the zero time skips date checks. Problems carry file positions when f was read
// from a file.
func Validate(f *File, c *checklist.Checklist, asOf time.Time) error {
	ps := problems(f, c, asOf)
	if len(ps) == 0 {
		return nil
	}
	if f.doc != nil {
		return f.doc.Errors(ps)
	}
	return yamldoc.Unpositioned(f.Source, ps)
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// pinnedRef says whether s is an id@version checklist reference (answers name one version).
func pinnedRef(s string) bool {
	r, err := checklist.ParseRef(s)
	return err == nil && r.Version != ""
}

func problems(f *File, c *checklist.Checklist, asOf time.Time) []yamldoc.Problem {
	var out []yamldoc.Problem
	add := func(p yamldoc.Path, format string, args ...any) {
		out = append(out, yamldoc.Problemf(p, format, args...))
	}
	root := yamldoc.Path{}
	switch {
	case f.Checklist == "":
		add(root.Key("checklist"), "must not be empty: name the checklist as ID@VERSION")
	case !pinnedRef(f.Checklist):
		add(root.Key("checklist"), "%q is not a checklist reference: use ID@VERSION, for example "+checklist.Current, f.Checklist)
	case c != nil && f.Checklist != c.Ref():
		add(root.Key("checklist"), "the answers are for %s but are being checked against %s", f.Checklist, c.Ref())
	}
	org := root.Key("organisation")
	if !terminology.ODSCodeValid(f.Organisation.ODS) {
		add(org.Key("ods"), "%q is not a valid ODS code (3 to 6 upper-case letters and digits)", f.Organisation.ODS)
	}
	if strings.TrimSpace(f.Organisation.Name) == "" {
		add(org.Key("name"), "must not be empty")
	}
	if !slices.Contains(checklist.OrgTypes(), f.Organisation.Type) {
		add(org.Key("type"), "unknown organisation type %q (known: %s)", f.Organisation.Type, joinStrings(checklist.OrgTypes()))
	}
	if strings.TrimSpace(f.AnsweredBy) == "" {
		add(root.Key("answered_by"), "must not be empty")
	}
	if at, ok := parseDateOrTime(f.AnsweredAt); !ok {
		add(root.Key("answered_at"), "%q is not a date (YYYY-MM-DD) or RFC 3339 time", f.AnsweredAt)
	} else if !asOf.IsZero() && at.After(asOf) {
		add(root.Key("answered_at"), "%s is in the future", f.AnsweredAt)
	}
	if len(f.Answers) == 0 {
		add(root.Key("answers"), "must have at least 1 entry")
	}
	firstAt := map[string]int{}
	for i := range f.Answers {
		a := &f.Answers[i]
		p := root.Key("answers").Index(i)
		if first, dup := firstAt[a.Item]; dup && a.Item != "" {
			add(p.Key("item"), "item %s is answered twice (first at answers[%d])", a.Item, first)
		} else {
			firstAt[a.Item] = i
		}
		if a.Item == "" {
			add(p.Key("item"), "must not be empty")
		} else if c != nil {
			if _, _, ok := c.Item(a.Item); !ok {
				add(p.Key("item"), "unknown item id %q: %s has no such item", a.Item, c.Ref())
			}
		}
		out = append(out, answerProblems(p, a, asOf)...)
	}
	return out
}

func answerProblems(p yamldoc.Path, a *Answer, asOf time.Time) []yamldoc.Problem {
	var out []yamldoc.Problem
	add := func(p yamldoc.Path, format string, args ...any) {
		out = append(out, yamldoc.Problemf(p, format, args...))
	}
	if !slices.Contains(Statuses(), a.Status) {
		add(p.Key("status"), "unknown status %q (known: %s)", a.Status, joinStrings(Statuses()))
	}
	switch {
	case a.Status == Answered && (a.Level < 1 || a.Level > 4):
		if a.Level == 0 {
			add(p.Key("level"), "a level from 1 to 4 is required when status is answered")
		} else {
			add(p.Key("level"), "%d is not a level: levels run from 1 (not achieved) to 4 (exceeds)", a.Level)
		}
	case a.Status != Answered && a.Level != 0:
		add(p.Key("level"), "a level is only given when status is answered (status is %s)", a.Status)
	}
	if !slices.Contains(Provenances(), a.Provenance) {
		add(p.Key("provenance"), "unknown provenance %q (known: %s)", a.Provenance, joinStrings(Provenances()))
	}
	for k, d := range a.Evidence {
		dp := p.Key("evidence").Index(k)
		if strings.TrimSpace(d.Name) == "" {
			add(dp.Key("name"), "must not be empty")
		}
		if d.SHA256 != "" && !sha256Pattern.MatchString(d.SHA256) {
			add(dp.Key("sha256"), "%q is not a SHA-256 (64 lower-case hex digits)", d.SHA256)
		}
	}
	switch {
	case a.Status == Waived && a.Waiver == nil:
		add(p.Key("waiver"), "a waiver with reason and expires is required when status is waived")
	case a.Status != Waived && a.Waiver != nil:
		add(p.Key("waiver"), "a waiver is only given when status is waived (status is %s)", a.Status)
	case a.Waiver != nil:
		wp := p.Key("waiver")
		if strings.TrimSpace(a.Waiver.Reason) == "" {
			add(wp.Key("reason"), "must not be empty: say why the item is waived")
		}
		expires, err := time.Parse(time.DateOnly, a.Waiver.Expires)
		switch {
		case err != nil:
			add(wp.Key("expires"), "%q is not a date (YYYY-MM-DD)", a.Waiver.Expires)
		case !asOf.IsZero() && expires.Before(dateOf(asOf)):
			add(wp.Key("expires"), "the waiver expired on %s: renew it or answer the item", a.Waiver.Expires)
		}
	}
	return out
}

// WaiverActive reports whether the answer is a waiver still in force on day asOf (the expiry
// day itself included).
func (a *Answer) WaiverActive(asOf time.Time) bool {
	if a.Status != Waived || a.Waiver == nil {
		return false
	}
	expires, err := time.Parse(time.DateOnly, a.Waiver.Expires)
	return err == nil && !expires.Before(dateOf(asOf))
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func parseDateOrTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func joinStrings[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
