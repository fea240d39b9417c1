package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/terminology"
)

// referenceDate is "today" in the synthetic records: every date in them is relative to it, so the
// data is the same whenever and wherever the sandbox runs.
var referenceDate = time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)

// dataSeed seeds the generator; change it and every record changes.
const dataSeed = 0x5eed_2026_0105

// TestNHSNumber is the primary test patient's NHS number in every profile (a valid modulus 11
// number in the 999 test range).
const TestNHSNumber = "9990000018"

// rng is splitmix64: tiny, and its sequence is ours, so the data cannot change with a Go release.
type rng struct{ state uint64 }

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// float returns a number in [lo, hi] rounded to the given decimals.
func (r *rng) float(lo, hi float64, decimals int) float64 {
	f := lo + (hi-lo)*float64(r.next()>>11)/float64(1<<53)
	p := math.Pow(10, float64(decimals))
	return math.Round(f*p) / p
}

// uuid returns a random-looking but deterministic version 4 UUID.
func (r *rng) uuid() string {
	a, b := r.next(), r.next()
	a = (a &^ (0xf << 12)) | (4 << 12)         // version 4
	b = (b &^ (0x3 << 62)) | (uint64(2) << 62) // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// person is one synthetic patient's demographics.
type person struct {
	prefix, family string
	given          []string
	gender, birth  string
	line, city     string
	postcode       string
	practice       int // index into practices
}

// people are fictional. Postcodes use real outward codes for realism; street names and house
// numbers are made up. Phone numbers are in Ofcom's ranges reserved for drama.
var people = []person{
	{"Mrs", "Llywelyn-Jones", []string{"Siân", "Elin"}, "female", "1968-04-12", "12 Ffordd y Môr", "Porthaethwy", "LL59 5HG", 0},
	{"Mr", "Whitfield", []string{"Oliver", "James"}, "male", "1985-11-02", "48 Cardigan Lane", "Leeds", "LS6 2AB", 1},
	{"Ms", "Okonkwo", []string{"Amara"}, "female", "1992-07-19", "7 Wilbraham Road", "Manchester", "M14 5RT", 2},
	{"Mr", "ap Gwilym", []string{"Dafydd", "Rhys"}, "male", "1951-02-28", "3 Stryd Fawr", "Caernarfon", "LL55 1SH", 3},
	{"Dr", "Sharma", []string{"Priya"}, "female", "1979-09-09", "21 Evington Drive", "Leicester", "LE2 7QP", 2},
	{"Mr", "Brennan", []string{"Thomas", "Edward"}, "male", "1944-12-24", "90 Gloucester Road", "Bristol", "BS7 8NR", 4},
	{"Miss", "Nowak", []string{"Zofia"}, "female", "2001-03-15", "15 Lincoln Road", "Peterborough", "PE1 4TY", 4},
	{"Mrs", "Morgan", []string{"Gwenllian"}, "female", "1963-06-06", "5 Heol y Wig", "Aberystwyth", "SY23 2AX", 3},
	{"Mr", "Khan", []string{"Mohammed", "Ali"}, "male", "1972-10-30", "62 Carlisle Road", "Bradford", "BD8 7PL", 1},
	{"", "Hartley", []string{"Emily", "Rose"}, "female", "2015-01-20", "9 Bishopthorpe Road", "York", "YO24 1AB", 1},
	{"Mr", "Mensah", []string{"Kwame"}, "male", "1988-08-08", "33 Rye Lane", "London", "SE15 4QR", 4},
	{"Miss", "Evans", []string{"Ffion", "Haf"}, "female", "1999-12-01", "18 Ffordd Rhosddu", "Wrecsam", "LL11 2BN", 0},
	{"Mrs", "O'Neill", []string{"Margaret", "Anne"}, "female", "1937-05-17", "4 Menlove Avenue", "Liverpool", "L18 3HN", 2},
	{"Mr", "Sandhu", []string{"Harjit", "Singh"}, "male", "1958-04-04", "27 Penn Road", "Wolverhampton", "WV3 9QX", 2},
	{"Ms", "Martin", []string{"Chloé"}, "female", "1995-02-14", "11 Elm Grove", "Brighton", "BN2 1TL", 4},
	{"Mr", "Williams", []string{"Rhodri"}, "male", "1982-09-23", "40 Heol Llanishen Fach", "Caerdydd", "CF14 3NX", 3},
	{"Mrs", "Begum", []string{"Aisha"}, "female", "1969-11-11", "8 Coventry Road", "Birmingham", "B10 0HJ", 2},
	{"Mr", "Thompson", []string{"George", "William"}, "male", "1930-07-07", "2 Unthank Road", "Norwich", "NR2 3PQ", 4},
	{"Mrs", "Lloyd", []string{"Bethan"}, "female", "1976-03-03", "6 Ffordd Caergybi", "Bangor", "LL57 2DG", 0},
	{"Mr", "Kowalski", []string{"Łukasz"}, "male", "1990-06-18", "19 Commercial Road", "Swindon", "SN1 5AH", 4},
}

// practice is a GP practice the patients are registered with (fictional ODS codes).
type practice struct {
	ods, name, line, city, postcode string
}

var practices = []practice{
	{"Y90001", "Meddygfa Glan-y-Môr", "1 Ffordd Cadnant", "Porthaethwy", "LL59 5EU"},
	{"Y90002", "Headingley Lane Surgery", "2 North Lane", "Leeds", "LS6 3HU"},
	{"Y90003", "Riverside Medical Centre", "Irwell Street", "Manchester", "M3 5EN"},
	{"Y90004", "Canolfan Iechyd Pen-y-Bryn", "Ffordd Bangor", "Caernarfon", "LL55 1AR"},
	{"Y90005", "Castle View Practice", "14 Castle Street", "Bristol", "BS1 3DE"},
}

// dataset is one profile's records, ready to index.
type dataset struct {
	org          *organizationResource
	practices    []*organizationResource
	patients     []*patientResource
	conditions   []*conditionResource
	observations []*observationResource
	allergies    []*allergyResource
	medications  []*medicationStatementResource
	lastUpdated  map[string]time.Time // by "Type/id"
	versions     map[string]int
}

// generator builds a dataset for one profile. Coding defects are applied as the records are made,
// counting each patient's clinical concepts so that every patient (the test patient above all)
// shows the profile's coding quality.
type generator struct {
	r   *rng
	b   behaviour
	org Org
	ds  *dataset

	conceptIndex int // this patient's clinical concepts so far
	degraded     int // this patient's degraded concepts so far
}

func generate(b behaviour, org Org) *dataset {
	g := &generator{
		r:   &rng{state: dataSeed},
		b:   b,
		org: org,
		ds:  &dataset{lastUpdated: map[string]time.Time{}, versions: map[string]int{}},
	}
	g.organisations()
	for i, p := range people {
		g.conceptIndex, g.degraded = 0, 0
		g.patient(i, p)
	}
	return g.ds
}

func (g *generator) stamp(typ, id string, after time.Time) {
	key := typ + "/" + id
	// Last touched some hours after the clinical event, never after the reference date.
	t := after.Add(time.Duration(1+g.r.intn(72)) * time.Hour)
	if t.After(referenceDate) {
		t = referenceDate.Add(-time.Duration(1+g.r.intn(12)) * time.Hour)
	}
	g.ds.lastUpdated[key] = t
	g.ds.versions[key] = 1 + g.r.intn(3)
}

func (g *generator) odsSystem() string {
	if g.b.legacyIdentity {
		return systemODSOld
	}
	return terminology.SystemODSOrg
}

func (g *generator) localSystem(kind string) string {
	return "https://fhir.sandbox.jigsaw.example/" + strings.ToLower(g.org.ODSCode) + "/CodeSystem/local-" + kind
}

func (g *generator) organisations() {
	o := &organizationResource{
		ResourceType: "Organization",
		ID:           g.r.uuid(),
		Identifier:   []identifier{{System: g.odsSystem(), Value: g.org.ODSCode}},
		Active:       true,
		Type:         []codeableConcept{{Coding: []coding{{System: systemOrganizationType, Code: "prov", Display: "Healthcare Provider"}}, Text: g.org.Type}},
		Name:         g.org.Name,
		Telecom:      []contactPoint{{System: "phone", Value: "01632 960000", Use: "work"}},
	}
	g.ds.org = o
	g.stamp("Organization", o.ID, referenceDate.AddDate(-1, 0, 0))
	for _, p := range practices {
		po := &organizationResource{
			ResourceType: "Organization",
			ID:           g.r.uuid(),
			Identifier:   []identifier{{System: g.odsSystem(), Value: p.ods}},
			Active:       true,
			Type:         []codeableConcept{{Coding: []coding{{System: systemOrganizationType, Code: "prov", Display: "Healthcare Provider"}}, Text: "GP practice"}},
			Name:         p.name,
			Telecom:      []contactPoint{{System: "phone", Value: "01632 96" + p.ods[2:], Use: "work"}},
			Address:      []address{{Use: "work", Type: "physical", Line: []string{p.line}, City: p.city, PostalCode: p.postcode, Country: "GB"}},
		}
		g.ds.practices = append(g.ds.practices, po)
		g.stamp("Organization", po.ID, referenceDate.AddDate(-1, 0, 0))
	}
}

// nhsNumber returns the i-th NHS number in the 999 test range: 999000001 followed by its check
// digit, skipping the nine-digit stems that have no valid check digit.
func nhsNumber(i int) string {
	stem := 999000001
	for n := 0; ; stem++ {
		s := strconv.Itoa(stem)
		d, ok := terminology.NHSNumberCheckDigit(s)
		if !ok {
			continue
		}
		if n == i {
			return s + string(d)
		}
		n++
	}
}

func (g *generator) orgReference(o *organizationResource) *reference {
	return &reference{
		Reference:  "Organization/" + o.ID,
		Type:       "Organization",
		Identifier: &identifier{System: g.odsSystem(), Value: o.Identifier[0].Value},
		Display:    o.Name,
	}
}

func (g *generator) patient(i int, p person) {
	nhs := nhsNumber(i)
	nhsID := identifier{System: terminology.SystemNHSNumber, Value: nhs}
	if g.b.legacyIdentity {
		nhsID.System = systemNHSNumberOld
		if i == 1 || i == 2 {
			// Transcription errors in the legacy PAS: the last digit was mistyped.
			nhsID.Value = nhs[:9] + string('0'+(nhs[9]-'0'+1)%10)
		}
	} else {
		nhsID.Extension = []extension{{
			URL: extNHSNumberVerification,
			ValueCodeableConcept: &codeableConcept{Coding: []coding{{
				System: systemNHSNumberVerifyEng, Code: "01", Display: "Number present and verified",
			}}},
		}}
	}
	name := humanName{Use: "official", Family: p.family, Given: p.given}
	if p.prefix != "" {
		name.Prefix = []string{p.prefix}
	}
	pr := &patientResource{
		ResourceType: "Patient",
		ID:           g.r.uuid(),
		Identifier:   []identifier{nhsID},
		Active:       true,
		Name:         []humanName{name},
		Telecom:      []contactPoint{{System: "phone", Value: fmt.Sprintf("07700 900%03d", 100+i*7), Use: "mobile"}},
		Gender:       p.gender,
		BirthDate:    p.birth,
		Address: []address{{
			Use: "home", Type: "physical", Line: []string{p.line}, City: p.city, PostalCode: p.postcode, Country: "GB",
		}},
		GeneralPractitioner:  []reference{*g.orgReference(g.ds.practices[p.practice])},
		ManagingOrganization: g.orgReference(g.ds.org),
	}
	g.ds.patients = append(g.ds.patients, pr)
	g.stamp("Patient", pr.ID, referenceDate.AddDate(0, -3-g.r.intn(20), -g.r.intn(28)))

	subject := reference{Reference: "Patient/" + pr.ID, Type: "Patient", Display: strings.Join(p.given, " ") + " " + p.family}
	birth, _ := time.Parse(time.DateOnly, p.birth)

	// The test patient's record is fixed, so that every profile's defects show in it; the others
	// draw theirs from the generator.
	var conds, obs, alls, meds []int
	if nhs == TestNHSNumber {
		conds, obs, alls, meds = []int{0, 1, 2}, []int{0, 1, 2, 3}, []int{0}, []int{1, 3, 0}
	} else {
		conds = g.pick(len(conditionConcepts), 1+g.r.intn(3))
		obs = g.pick(len(observationKinds), 2+g.r.intn(3))
		alls = g.pick(len(allergyConcepts), g.r.intn(2))
		meds = g.pick(len(medicationConcepts), g.r.intn(4))
	}
	for _, c := range conds {
		g.condition(subject, conditionConcepts[c], birth)
	}
	for _, o := range obs {
		g.observation(subject, observationKinds[o])
	}
	for _, a := range alls {
		g.allergy(subject, a, birth)
	}
	for _, m := range meds {
		g.medication(subject, medicationConcepts[m])
	}
}

// pick chooses k distinct indices below n, in ascending order.
func (g *generator) pick(n, k int) []int {
	chosen := make([]bool, n)
	for picked := 0; picked < k && picked < n; {
		i := g.r.intn(n)
		if !chosen[i] {
			chosen[i] = true
			picked++
		}
	}
	var out []int
	for i, c := range chosen {
		if c {
			out = append(out, i)
		}
	}
	return out
}

// dateBetween returns a date in [from, to].
func (g *generator) dateBetween(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	if days <= 0 {
		return from
	}
	return from.AddDate(0, 0, g.r.intn(days+1))
}

// conceptQuality says how this patient's next clinical concept is to be coded.
type conceptQuality int

const (
	codedWell conceptQuality = iota
	codedTextOnly
	codedLocal
	codedOIDSystem    // legacy: SNOMED under its OID
	codedBrokenSNOMED // legacy: SNOMED id with a mistyped digit
)

// nextQuality says how the patient's next clinical concept is coded. Medicines are spared the
// typical profile's degradation: prescribing systems use dm+d even where problem lists do not.
func (g *generator) nextQuality(medicine bool) conceptQuality {
	i := g.conceptIndex
	g.conceptIndex++
	if g.b.degradeEvery > 0 && i%g.b.degradeEvery == g.b.degradeOffset && (!medicine || g.b.legacyCoding) {
		g.degraded++
		if g.degraded%2 == 1 {
			return codedTextOnly
		}
		return codedLocal
	}
	if g.b.legacyCoding {
		switch i % 4 {
		case 0:
			return codedOIDSystem
		case 2:
			return codedBrokenSNOMED
		}
	}
	return codedWell
}

// breakCheckDigit changes the last digit of a code: SNOMED CT's Verhoeff check, NHS numbers'
// modulus 11 and LOINC's mod 10 all catch any single changed digit.
func breakCheckDigit(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}

// snomedConcept codes a SNOMED CT concept at the given quality.
func (g *generator) snomedConcept(c concept, q conceptQuality, localKind string) codeableConcept {
	switch q {
	case codedTextOnly:
		return codeableConcept{Text: c.LayText}
	case codedLocal:
		return codeableConcept{Coding: []coding{{System: g.localSystem(localKind), Code: c.LocalCode, Display: c.LayText}}, Text: c.LayText}
	case codedOIDSystem:
		return codeableConcept{Coding: []coding{{System: systemSNOMEDOID, Code: c.Code, Display: c.Display}}, Text: c.Display}
	case codedBrokenSNOMED:
		return codeableConcept{Coding: []coding{{System: terminology.SystemSNOMED, Code: breakCheckDigit(c.Code), Display: c.Display}}, Text: c.Display}
	default:
		return codeableConcept{Coding: []coding{{System: terminology.SystemSNOMED, Code: c.Code, Display: c.Display}}, Text: c.Display}
	}
}

func (g *generator) condition(subject reference, c concept, birth time.Time) {
	onset := g.dateBetween(birth.AddDate(16, 0, 0), referenceDate.AddDate(0, -1, 0))
	if onset.Before(birth) {
		onset = birth.AddDate(0, 6, 0)
	}
	code := g.snomedConcept(c, g.nextQuality(false), "problems")
	cr := &conditionResource{
		ResourceType:       "Condition",
		ID:                 g.r.uuid(),
		ClinicalStatus:     &codeableConcept{Coding: []coding{{System: systemConditionClinical, Code: "active", Display: "Active"}}},
		VerificationStatus: &codeableConcept{Coding: []coding{{System: systemConditionVerStatus, Code: "confirmed", Display: "Confirmed"}}},
		Category:           []codeableConcept{{Coding: []coding{{System: systemConditionCategory, Code: "problem-list-item", Display: "Problem List Item"}}}},
		Code:               &code,
		Subject:            subject,
		OnsetDateTime:      onset.Format(time.DateOnly),
		RecordedDate:       onset.AddDate(0, 0, g.r.intn(30)).Format(time.DateOnly),
	}
	g.ds.conditions = append(g.ds.conditions, cr)
	g.stamp("Condition", cr.ID, onset)
}

func (g *generator) observation(subject reference, k observationKind) {
	when := g.dateBetween(referenceDate.AddDate(-2, 0, 0), referenceDate.AddDate(0, 0, -1)).Truncate(24 * time.Hour).Add(time.Duration(8*60+g.r.intn(9*60)) * time.Minute)
	q := g.nextQuality(false)
	code := g.observationCode(k, q)
	o := &observationResource{
		ResourceType:      "Observation",
		ID:                g.r.uuid(),
		Status:            "final",
		Category:          []codeableConcept{{Coding: []coding{{System: systemObservationCategory, Code: k.Category, Display: categoryDisplay(k.Category)}}}},
		Code:              code,
		Subject:           subject,
		EffectiveDateTime: when.Format(time.RFC3339),
	}
	if k.BloodPressure {
		sys, dia := g.r.float(104, 158, 0), g.r.float(62, 96, 0)
		o.Component = []observationComponent{
			{Code: g.componentCode(systolicCodes), ValueQuantity: mmHg(sys)},
			{Code: g.componentCode(diastolicCodes), ValueQuantity: mmHg(dia)},
		}
	} else {
		v := g.r.float(k.Min, k.Max, k.Decimals)
		o.ValueQuantity = &quantity{Value: number(v, k.Decimals), Unit: k.Unit, System: systemUCUM, Code: k.UCUM}
	}
	g.ds.observations = append(g.ds.observations, o)
	g.stamp("Observation", o.ID, when)
}

func categoryDisplay(c string) string {
	if c == "laboratory" {
		return "Laboratory"
	}
	return "Vital Signs"
}

func number(v float64, decimals int) json.Number {
	return json.Number(strconv.FormatFloat(v, 'f', decimals, 64))
}

func mmHg(v float64) *quantity {
	return &quantity{Value: number(v, 0), Unit: "mmHg", System: systemUCUM, Code: "mm[Hg]"}
}

// observationCode codes an observation in SNOMED CT and, for vital signs, LOINC too.
func (g *generator) observationCode(k observationKind, q conceptQuality) codeableConcept {
	c := concept{Code: k.SNOMED, Display: k.SNOMEDDisplay, LayText: k.LayText, LocalCode: k.LocalCode}
	cc := g.snomedConcept(c, q, "observations")
	if k.LOINC != "" && (q == codedWell || q == codedOIDSystem || q == codedBrokenSNOMED) {
		loinc := k.LOINC
		if g.b.legacyCoding {
			loinc = breakCheckDigit(loinc) // the legacy mapping table has the check digits wrong
		}
		cc.Coding = append(cc.Coding, coding{System: terminology.SystemLOINC, Code: loinc, Display: k.LOINCDisplay})
	}
	return cc
}

// componentCode codes a blood pressure component; the legacy profile's mapping table has the
// LOINC check digits wrong.
func (g *generator) componentCode(c [4]string) codeableConcept {
	loinc := c[2]
	if g.b.legacyCoding {
		loinc = breakCheckDigit(loinc)
	}
	return codeableConcept{Coding: []coding{
		{System: terminology.SystemSNOMED, Code: c[0], Display: c[1]},
		{System: terminology.SystemLOINC, Code: loinc, Display: c[3]},
	}, Text: c[3]}
}

func (g *generator) allergy(subject reference, i int, birth time.Time) {
	c := allergyConcepts[i]
	recorded := g.dateBetween(birth.AddDate(1, 0, 0), referenceDate.AddDate(0, -1, 0))
	code := g.snomedConcept(c, g.nextQuality(false), "allergies")
	a := &allergyResource{
		ResourceType:       "AllergyIntolerance",
		ID:                 g.r.uuid(),
		ClinicalStatus:     &codeableConcept{Coding: []coding{{System: systemAllergyClinical, Code: "active", Display: "Active"}}},
		VerificationStatus: &codeableConcept{Coding: []coding{{System: systemAllergyVerification, Code: "confirmed", Display: "Confirmed"}}},
		Category:           []string{allergyCategory[i]},
		Code:               &code,
		Patient:            subject,
		RecordedDate:       recorded.Format(time.DateOnly),
	}
	if c.Code != "409137002" { // "no known drug allergy" has no reaction
		a.Type = "allergy"
		a.Criticality = "low"
		m := manifestationConcepts[0]
		if allergyCategory[i] == "food" {
			m = manifestationConcepts[1]
			a.Criticality = "high"
		}
		a.Reaction = []allergyReaction{{Manifestation: []codeableConcept{{
			Coding: []coding{{System: terminology.SystemSNOMED, Code: m.Code, Display: m.Display}}, Text: m.Display,
		}}}}
	}
	g.ds.allergies = append(g.ds.allergies, a)
	g.stamp("AllergyIntolerance", a.ID, recorded)
}

func (g *generator) medication(subject reference, c concept) {
	start := g.dateBetween(referenceDate.AddDate(-3, 0, 0), referenceDate.AddDate(0, 0, -7))
	q := g.nextQuality(true)
	var med codeableConcept
	switch {
	case q == codedTextOnly:
		med = codeableConcept{Text: c.LayText}
	case q == codedLocal || g.b.legacyCoding:
		med = codeableConcept{Coding: []coding{{System: g.localSystem("formulary"), Code: c.LocalCode, Display: c.LayText}}, Text: c.LayText}
	default:
		med = codeableConcept{Coding: []coding{{System: terminology.SystemSNOMED, Code: c.Code, Display: c.Display}}, Text: c.Display}
	}
	m := &medicationStatementResource{
		ResourceType:              "MedicationStatement",
		ID:                        g.r.uuid(),
		Status:                    "active",
		MedicationCodeableConcept: med,
		Subject:                   subject,
		EffectivePeriod:           &period{Start: start.Format(time.DateOnly)},
		DateAsserted:              start.Format(time.DateOnly),
		Dosage:                    []dosage{{Text: dosageText(c.Code)}},
	}
	g.ds.medications = append(g.ds.medications, m)
	g.stamp("MedicationStatement", m.ID, start)
}

func dosageText(code string) string {
	switch code {
	case "322236009":
		return "One or two tablets up to four times a day when required"
	case "39113611000001102":
		return "Two puffs when required"
	case "320000009":
		return "One tablet at night"
	case "317972000":
		return "One tablet in the morning"
	default:
		return "As directed"
	}
}
