package checklist

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/schemas/yamldoc"
)

var (
	idPattern      = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	versionPattern = regexp.MustCompile(`^[0-9]{4}\.[0-9]+$`)
	itemIDPattern  = regexp.MustCompile(`^[A-Z]{2,6}-[0-9]{2,3}$`)
)

// Weight bounds for items.
const (
	MinWeight = 1
	MaxWeight = 5
)

// Validate checks a checklist's content: id and version formats, unique domain and item ids,
// all four level statements present and distinct, weights 1–5, known organisation types,
// at least one reference and one evidence line per item, and (when knownProbe is not nil)
// that every linked probe exists. It reports every problem, with file positions when the
// checklist was read from a file.
func Validate(c *Checklist, knownProbe func(probeID string) bool) error {
	ps := problems(c, knownProbe)
	if len(ps) == 0 {
		return nil
	}
	if c.doc != nil {
		return c.doc.Errors(ps)
	}
	return yamldoc.Unpositioned(c.Source, ps)
}

func problems(c *Checklist, knownProbe func(string) bool) []yamldoc.Problem {
	v := validator{knownProbe: knownProbe}
	v.checklist(c)
	return v.out
}

type validator struct {
	knownProbe func(string) bool
	out        []yamldoc.Problem
}

func (v *validator) add(path yamldoc.Path, format string, args ...any) {
	v.out = append(v.out, yamldoc.Problemf(path, format, args...))
}

func (v *validator) pattern(path yamldoc.Path, value string, re *regexp.Regexp, what string) {
	if value == "" {
		v.add(path, "must not be empty")
		return
	}
	if !re.MatchString(value) {
		v.add(path, "%q is not a valid %s (expected %s)", value, what, re.String())
	}
}

func (v *validator) text(path yamldoc.Path, value string) {
	if strings.TrimSpace(value) == "" {
		v.add(path, "must not be empty")
	}
}

func (v *validator) checklist(c *Checklist) {
	root := yamldoc.Path{}
	v.pattern(root.Key("id"), c.ID, idPattern, "checklist id")
	v.pattern(root.Key("version"), c.Version, versionPattern, "version (YYYY.N)")
	v.text(root.Key("title"), c.Title)
	if c.Published != "" {
		if _, err := time.Parse(time.DateOnly, c.Published); err != nil {
			v.add(root.Key("published"), "%q is not a valid date (expected YYYY-MM-DD)", c.Published)
		}
	}
	if len(c.Domains) == 0 {
		v.add(root.Key("domains"), "must have at least 1 entry")
	}
	domainAt := map[string]int{}
	itemAt := map[string]yamldoc.Path{}
	for i := range c.Domains {
		d := &c.Domains[i]
		p := root.Key("domains").Index(i)
		v.pattern(p.Key("id"), d.ID, idPattern, "domain id")
		if first, dup := domainAt[d.ID]; dup && d.ID != "" {
			v.add(p.Key("id"), "duplicate domain id %q (first used by domains[%d])", d.ID, first)
		} else {
			domainAt[d.ID] = i
		}
		v.text(p.Key("title"), d.Title)
		if len(d.Items) == 0 {
			v.add(p.Key("items"), "must have at least 1 entry")
		}
		for j := range d.Items {
			it := &d.Items[j]
			ip := p.Key("items").Index(j)
			if first, dup := itemAt[it.ID]; dup && it.ID != "" {
				v.add(ip.Key("id"), "duplicate item id %q (first used at %s)", it.ID, first)
			} else {
				itemAt[it.ID] = ip
			}
			v.item(ip, it)
		}
	}
}

func (v *validator) item(p yamldoc.Path, it *Item) {
	v.pattern(p.Key("id"), it.ID, itemIDPattern, "item id")
	v.text(p.Key("title"), it.Title)
	v.text(p.Key("question"), it.Question)
	v.text(p.Key("guidance"), it.Guidance)
	if len(it.Evidence) == 0 {
		v.add(p.Key("evidence"), "must have at least 1 entry")
	}
	for k, e := range it.Evidence {
		v.text(p.Key("evidence").Index(k), e)
	}
	v.levels(p.Key("levels"), it.Levels)
	switch {
	case it.Weight < MinWeight:
		v.add(p.Key("weight"), "%d is below the minimum %d", it.Weight, MinWeight)
	case it.Weight > MaxWeight:
		v.add(p.Key("weight"), "%d is above the maximum %d", it.Weight, MaxWeight)
	}
	seenOrg := map[OrgType]bool{}
	for k, t := range it.MandatoryFor {
		mp := p.Key("mandatory_for").Index(k)
		switch {
		case !slices.Contains(OrgTypes(), t):
			v.add(mp, "unknown organisation type %q (known: %s)", t, joinOrgTypes())
		case seenOrg[t]:
			v.add(mp, "%q is listed twice", t)
		}
		seenOrg[t] = true
	}
	if it.Layer != "" && !slices.Contains(Layers(), it.Layer) {
		v.add(p.Key("layer"), "unknown layer %q (known: foundational, structural, semantic, organisational)", it.Layer)
	}
	if len(it.References) == 0 {
		v.add(p.Key("references"), "must have at least 1 entry")
	}
	for k, r := range it.References {
		rp := p.Key("references").Index(k)
		v.text(rp.Key("framework"), r.Framework)
		if r.URL != "" {
			if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				v.add(rp.Key("url"), "%q is not an absolute http(s) URL", r.URL)
			}
		}
	}
	seenProbe := map[string]bool{}
	for k, id := range it.Probes {
		pp := p.Key("probes").Index(k)
		switch {
		case strings.TrimSpace(id) == "":
			v.add(pp, "must not be empty")
		case seenProbe[id]:
			v.add(pp, "probe %q is listed twice", id)
		case v.knownProbe != nil && !v.knownProbe(id):
			v.add(pp, "unknown probe id %q: no probe with this id is registered", id)
		}
		seenProbe[id] = true
	}
}

func (v *validator) levels(p yamldoc.Path, l Levels) {
	seen := map[string]int{}
	for level := 1; level <= 4; level++ {
		s := strings.TrimSpace(l.Statement(level))
		lp := p.Key(fmt.Sprint(level))
		if s == "" {
			v.add(lp, "the level %d statement must not be empty", level)
			continue
		}
		if other, dup := seen[s]; dup {
			v.add(lp, "the level %d statement repeats level %d: each level must say what is different", level, other)
		}
		seen[s] = level
	}
}

func joinOrgTypes() string {
	names := make([]string, 0, len(OrgTypes()))
	for _, t := range OrgTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}
