package checklist

import (
	"fmt"
	"slices"
	"strconv"
)

// VersionDiff is what changed between two checklist versions, item by item. Item ids are
// stable, so an item that moved domain or was reworded shows as changed, not as removed and
// added.
type VersionDiff struct {
	From           string        `json:"from"`
	To             string        `json:"to"`
	DomainsAdded   []string      `json:"domains_added,omitempty"`
	DomainsRemoved []string      `json:"domains_removed,omitempty"`
	Added          []ItemSummary `json:"added,omitempty"`
	Removed        []ItemSummary `json:"removed,omitempty"`
	Changed        []ItemChange  `json:"changed,omitempty"`
}

// ItemSummary names an item.
type ItemSummary struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
	Title  string `json:"title"`
}

// ItemChange lists the fields that changed in one item.
type ItemChange struct {
	ItemSummary
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one changed field: From/To for single values, Added/Removed for lists
// (probes, mandatory_for, evidence, references).
type FieldChange struct {
	Field   string   `json:"field"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// Empty reports whether the two versions have the same domains and items.
func (d VersionDiff) Empty() bool {
	return len(d.DomainsAdded) == 0 && len(d.DomainsRemoved) == 0 && len(d.Added) == 0 &&
		len(d.Removed) == 0 && len(d.Changed) == 0
}

// Diff returns the differences from checklist a to checklist b. Results are in b's order
// (removed items in a's order).
func Diff(a, b *Checklist) VersionDiff {
	d := VersionDiff{From: a.Ref(), To: b.Ref()}
	aDomains, bDomains := domainIDs(a), domainIDs(b)
	for _, id := range bDomains {
		if !slices.Contains(aDomains, id) {
			d.DomainsAdded = append(d.DomainsAdded, id)
		}
	}
	for _, id := range aDomains {
		if !slices.Contains(bDomains, id) {
			d.DomainsRemoved = append(d.DomainsRemoved, id)
		}
	}
	for _, bd := range b.Domains {
		for i := range bd.Items {
			bi := &bd.Items[i]
			ai, ad, ok := a.Item(bi.ID)
			sum := ItemSummary{ID: bi.ID, Domain: bd.ID, Title: bi.Title}
			if !ok {
				d.Added = append(d.Added, sum)
				continue
			}
			if fields := compareItems(ad.ID, ai, bd.ID, bi); len(fields) > 0 {
				d.Changed = append(d.Changed, ItemChange{ItemSummary: sum, Fields: fields})
			}
		}
	}
	for _, ad := range a.Domains {
		for _, ai := range ad.Items {
			if _, _, ok := b.Item(ai.ID); !ok {
				d.Removed = append(d.Removed, ItemSummary{ID: ai.ID, Domain: ad.ID, Title: ai.Title})
			}
		}
	}
	return d
}

func domainIDs(c *Checklist) []string {
	ids := make([]string, len(c.Domains))
	for i, d := range c.Domains {
		ids[i] = d.ID
	}
	return ids
}

func compareItems(aDomain string, a *Item, bDomain string, b *Item) []FieldChange {
	var out []FieldChange
	scalar := func(field, from, to string) {
		if from != to {
			out = append(out, FieldChange{Field: field, From: from, To: to})
		}
	}
	list := func(field string, from, to []string) {
		added, removed := setDiff(from, to)
		if len(added) > 0 || len(removed) > 0 {
			out = append(out, FieldChange{Field: field, Added: added, Removed: removed})
		}
	}
	scalar("domain", aDomain, bDomain)
	scalar("title", a.Title, b.Title)
	scalar("question", a.Question, b.Question)
	scalar("guidance", a.Guidance, b.Guidance)
	list("evidence", a.Evidence, b.Evidence)
	for level := 1; level <= 4; level++ {
		scalar(fmt.Sprintf("levels.%d", level), a.Levels.Statement(level), b.Levels.Statement(level))
	}
	scalar("weight", strconv.Itoa(a.Weight), strconv.Itoa(b.Weight))
	list("mandatory_for", strs(a.MandatoryFor), strs(b.MandatoryFor))
	scalar("critical", strconv.FormatBool(a.Critical), strconv.FormatBool(b.Critical))
	scalar("layer", string(a.Layer), string(b.Layer))
	list("references", refStrings(a.References), refStrings(b.References))
	list("probes", a.Probes, b.Probes)
	return out
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func refStrings(refs []Reference) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.String()
	}
	return out
}

// String renders a reference as "framework clause <url>".
func (r Reference) String() string {
	s := r.Framework
	if r.Clause != "" {
		s += " " + r.Clause
	}
	if r.URL != "" {
		s += " <" + r.URL + ">"
	}
	return s
}

// setDiff returns what is in to but not from (added) and in from but not to (removed),
// keeping each list's order.
func setDiff(from, to []string) (added, removed []string) {
	for _, s := range to {
		if !slices.Contains(from, s) {
			added = append(added, s)
		}
	}
	for _, s := range from {
		if !slices.Contains(to, s) {
			removed = append(removed, s)
		}
	}
	return added, removed
}
