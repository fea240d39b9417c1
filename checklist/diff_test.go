package checklist

import (
	"reflect"
	"testing"
)

func diffFixture(version string, edit func(c *Checklist)) *Checklist {
	item := func(id, title string) Item {
		return Item{
			ID: id, Title: title, Question: "q " + id, Guidance: "g", Evidence: []string{"e1"},
			Levels: Levels{"a", "b", "c", "d"}, Weight: 2, MandatoryFor: []OrgType{AcuteTrust},
			References: []Reference{{Framework: "CQC KLOE", Clause: "S3.4"}}, Probes: []string{"fhir.capability.present"},
		}
	}
	c := &Checklist{ID: "demo", Version: version, Title: "Demo", Domains: []Domain{
		{ID: "alpha", Title: "Alpha", Items: []Item{item("AA-01", "One"), item("AA-02", "Two")}},
		{ID: "beta", Title: "Beta", Items: []Item{item("BB-01", "Three")}},
	}}
	if edit != nil {
		edit(c)
	}
	return c
}

func TestDiff(t *testing.T) {
	a := diffFixture("2026.1", nil)
	b := diffFixture("2026.2", func(c *Checklist) {
		one := &c.Domains[0].Items[0]
		one.Weight = 4
		one.Probes = []string{"fhir.capability.present", "fhir.capability.version"}
		one.MandatoryFor = []OrgType{AcuteTrust, ICB}
		one.Levels.Achieved = "c, and more"
		one.References = append(one.References, Reference{Framework: "NCSC CAF", Clause: "B2", URL: "https://www.ncsc.gov.uk/"})
		// BB-01 moves to a new domain; AA-02 is dropped; GG-01 is new.
		moved := c.Domains[1].Items[0]
		c.Domains[0].Items = c.Domains[0].Items[:1]
		c.Domains[1] = Domain{ID: "gamma", Title: "Gamma", Items: []Item{moved, {ID: "GG-01", Title: "New"}}}
	})
	got := Diff(a, b)
	want := VersionDiff{
		From: "demo@2026.1", To: "demo@2026.2",
		DomainsAdded: []string{"gamma"}, DomainsRemoved: []string{"beta"},
		Added:   []ItemSummary{{ID: "GG-01", Domain: "gamma", Title: "New"}},
		Removed: []ItemSummary{{ID: "AA-02", Domain: "alpha", Title: "Two"}},
		Changed: []ItemChange{
			{ItemSummary: ItemSummary{ID: "AA-01", Domain: "alpha", Title: "One"}, Fields: []FieldChange{
				{Field: "levels.3", From: "c", To: "c, and more"},
				{Field: "weight", From: "2", To: "4"},
				{Field: "mandatory_for", Added: []string{"icb"}},
				{Field: "references", Added: []string{"NCSC CAF B2 <https://www.ncsc.gov.uk/>"}},
				{Field: "probes", Added: []string{"fhir.capability.version"}},
			}},
			{ItemSummary: ItemSummary{ID: "BB-01", Domain: "gamma", Title: "Three"}, Fields: []FieldChange{
				{Field: "domain", From: "beta", To: "gamma"},
			}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff =\n%+v\nwant\n%+v", got, want)
	}
	if same := Diff(a, diffFixture("2026.1", nil)); !same.Empty() {
		t.Errorf("identical checklists differ: %+v", same)
	}
}
