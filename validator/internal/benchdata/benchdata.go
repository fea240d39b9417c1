// Package benchdata writes synthetic FHIR R4 NDJSON for benchmarks: a realistic mix of Patient,
// Observation, Condition and MedicationStatement resources, with a known share of defects of
// known kinds, so that validators can be compared on speed and on what they find.
package benchdata

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Defect kinds injected into the data, one per defective resource.
const (
	DefectNone          = ""
	DefectUnknown       = "unknown-element"  // a property the type does not have
	DefectJSONType      = "json-type"        // a boolean given as a string
	DefectFormat        = "primitive-format" // an impossible date
	DefectCardinality   = "cardinality"      // a required element left out
	DefectBinding       = "binding"          // a code outside a required value set
	DefectChoice        = "choice-type"      // two value[x] forms
	DefectEmpty         = "empty"            // an empty string
	DefectReferenceType = "reference"        // a reference to a resource type not allowed
)

// Defects lists the kinds in the order they are injected.
var Defects = []string{DefectUnknown, DefectJSONType, DefectFormat, DefectCardinality, DefectBinding, DefectChoice, DefectEmpty, DefectReferenceType}

// Stats describes what was written.
type Stats struct {
	Resources int
	Bytes     int64
	Defective int
	ByDefect  map[string]int
	ByType    map[string]int
	// DefectiveLines holds the 1-based line numbers of defective resources.
	DefectiveLines []int
}

// Write writes NDJSON until at least size bytes have been written. Every defectEvery-th
// resource carries one defect (0: none). The output is the same for the same seed.
func Write(w io.Writer, size int64, defectEvery int, seed uint64) (Stats, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	st := Stats{ByDefect: map[string]int{}, ByType: map[string]int{}}
	var b strings.Builder
	for i := 0; st.Bytes < size; i++ {
		defect := DefectNone
		if defectEvery > 0 && i%defectEvery == defectEvery-1 {
			defect = Defects[(i/defectEvery)%len(Defects)]
		}
		b.Reset()
		kind := i % 4
		switch kind {
		case 0:
			patient(&b, rng, i, defect)
			st.ByType["Patient"]++
		case 1:
			observation(&b, rng, i, defect)
			st.ByType["Observation"]++
		case 2:
			condition(&b, rng, i, defect)
			st.ByType["Condition"]++
		default:
			medicationStatement(&b, rng, i, defect)
			st.ByType["MedicationStatement"]++
		}
		b.WriteByte('\n')
		n, err := bw.WriteString(b.String())
		if err != nil {
			return st, err
		}
		st.Bytes += int64(n)
		st.Resources++
		if defect != DefectNone {
			st.Defective++
			st.ByDefect[defect]++
			st.DefectiveLines = append(st.DefectiveLines, i+1)
		}
	}
	return st, bw.Flush()
}

var (
	families = []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Hughes", "Lewis"}
	givens   = []string{"Olivia", "Amelia", "Isla", "Oliver", "George", "Harry", "Rhys", "Sian", "Dafydd", "Megan", "Noah", "Leo"}
	towns    = []string{"Leeds", "Cardiff", "Manchester", "Bristol", "Swansea", "York", "Norwich", "Exeter"}
	// SNOMED CT findings and LOINC observations with valid check digits.
	conditions = [][2]string{{"38341003", "Hypertensive disorder"}, {"44054006", "Diabetes mellitus type 2"}, {"195967001", "Asthma"}, {"22298006", "Myocardial infarction"}, {"13645005", "Chronic obstructive lung disease"}}
	vitals     = [][4]string{{"29463-7", "Body weight", "kg", "kg"}, {"8302-2", "Body height", "cm", "cm"}, {"8867-4", "Heart rate", "/min", "beats/minute"}, {"8310-5", "Body temperature", "Cel", "C"}}
	medicines  = [][2]string{{"39720311000001101", "Paracetamol 500mg tablets"}, {"42206511000001102", "Amoxicillin 500mg capsules"}, {"36567211000001108", "Atorvastatin 20mg tablets"}}
)

func nhsNumber(rng *rand.Rand) string {
	for {
		d := make([]byte, 9)
		sum := 0
		for i := range d {
			d[i] = byte('0' + rng.IntN(10))
			sum += int(d[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c != 10 {
			return string(d) + strconv.Itoa(c)
		}
	}
}

func narrative(b *strings.Builder, text string) {
	fmt.Fprintf(b, `"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>%s</p></div>"}`, text)
}

func meta(b *strings.Builder, i int) {
	fmt.Fprintf(b, `"meta":{"versionId":"1","lastUpdated":"2024-03-%02dT10:%02d:00Z"}`, 1+i%28, i%60)
}

func patient(b *strings.Builder, rng *rand.Rand, i int, defect string) {
	fam, giv := families[rng.IntN(len(families))], givens[rng.IntN(len(givens))]
	fmt.Fprintf(b, `{"resourceType":"Patient","id":"pat-%d",`, i)
	meta(b, i)
	b.WriteByte(',')
	narrative(b, giv+" "+fam)
	fmt.Fprintf(b, `,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}]`, nhsNumber(rng))
	active := "true"
	if defect == DefectJSONType {
		active = `"true"`
	}
	fmt.Fprintf(b, `,"active":%s`, active)
	fmt.Fprintf(b, `,"name":[{"use":"official","family":"%s","given":["%s"]}]`, fam, giv)
	fmt.Fprintf(b, `,"telecom":[{"system":"phone","value":"0113 496 %04d","use":"home"}]`, rng.IntN(10000))
	gender := []string{"male", "female", "other", "unknown"}[rng.IntN(4)]
	if defect == DefectBinding {
		gender = "femail"
	}
	fmt.Fprintf(b, `,"gender":"%s"`, gender)
	birth := fmt.Sprintf("%04d-%02d-%02d", 1930+rng.IntN(90), 1+rng.IntN(12), 1+rng.IntN(28))
	if defect == DefectFormat {
		birth = "1984-02-30"
	}
	fmt.Fprintf(b, `,"birthDate":"%s"`, birth)
	fmt.Fprintf(b, `,"address":[{"use":"home","line":["%d High Street"],"city":"%s","postalCode":"LS1 %dAB","country":"GB"}]`, 1+rng.IntN(200), towns[rng.IntN(len(towns))], rng.IntN(10))
	org := "Organization/ods-RR8"
	if defect == DefectReferenceType {
		org = "Observation/obs-1"
	}
	fmt.Fprintf(b, `,"managingOrganization":{"reference":"%s","display":"Leeds Teaching Hospitals"}`, org)
	if defect == DefectUnknown {
		b.WriteString(`,"nhsNumber":"9000000009"`)
	}
	if defect == DefectEmpty {
		b.WriteString(`,"language":""`)
	}
	if defect == DefectChoice {
		b.WriteString(`,"deceasedBoolean":false,"deceasedDateTime":"2020-01-01"`)
	}
	b.WriteByte('}')
}

func observation(b *strings.Builder, rng *rand.Rand, i int, defect string) {
	v := vitals[rng.IntN(len(vitals))]
	fmt.Fprintf(b, `{"resourceType":"Observation","id":"obs-%d",`, i)
	meta(b, i)
	b.WriteByte(',')
	narrative(b, v[1])
	status := "final"
	if defect == DefectBinding {
		status = "done"
	}
	if defect != DefectCardinality {
		fmt.Fprintf(b, `,"status":"%s"`, status)
	}
	b.WriteString(`,"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}]`)
	fmt.Fprintf(b, `,"code":{"coding":[{"system":"http://loinc.org","code":"%s","display":"%s"}],"text":"%s"}`, v[0], v[1], v[1])
	subject := fmt.Sprintf("Patient/pat-%d", i-1)
	if defect == DefectReferenceType {
		subject = fmt.Sprintf("MedicationStatement/med-%d", i)
	}
	fmt.Fprintf(b, `,"subject":{"reference":"%s"}`, subject)
	when := fmt.Sprintf("2024-%02d-%02dT%02d:%02d:00+00:00", 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60))
	if defect == DefectFormat {
		when = "2024-13-01T10:00:00Z"
	}
	fmt.Fprintf(b, `,"effectiveDateTime":"%s"`, when)
	fmt.Fprintf(b, `,"valueQuantity":{"value":%d.%d,"unit":"%s","system":"http://unitsofmeasure.org","code":"%s"}`, 30+rng.IntN(100), rng.IntN(10), v[3], v[2])
	if defect == DefectChoice {
		b.WriteString(`,"valueString":"normal"`)
	}
	if defect == DefectUnknown {
		b.WriteString(`,"units":"kg"`)
	}
	if defect == DefectJSONType {
		b.WriteString(`,"issued":20240101`)
	}
	if defect == DefectEmpty {
		b.WriteString(`,"note":[{"text":""}]`)
	}
	b.WriteByte('}')
}

func condition(b *strings.Builder, rng *rand.Rand, i int, defect string) {
	c := conditions[rng.IntN(len(conditions))]
	fmt.Fprintf(b, `{"resourceType":"Condition","id":"con-%d",`, i)
	meta(b, i)
	b.WriteByte(',')
	narrative(b, c[1])
	status := "active"
	if defect == DefectBinding {
		status = "ongoing"
	}
	fmt.Fprintf(b, `,"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"%s"}]}`, status)
	b.WriteString(`,"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]}`)
	b.WriteString(`,"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}]`)
	fmt.Fprintf(b, `,"code":{"coding":[{"system":"http://snomed.info/sct","code":"%s","display":"%s"}]}`, c[0], c[1])
	if defect != DefectCardinality {
		fmt.Fprintf(b, `,"subject":{"reference":"Patient/pat-%d"}`, i-2)
	}
	onset := fmt.Sprintf("%04d-%02d-%02d", 1990+rng.IntN(34), 1+rng.IntN(12), 1+rng.IntN(28))
	if defect == DefectFormat {
		onset = "2019-11-31"
	}
	fmt.Fprintf(b, `,"onsetDateTime":"%s"`, onset)
	fmt.Fprintf(b, `,"recordedDate":"%s"`, onset)
	if defect == DefectChoice {
		b.WriteString(`,"onsetString":"childhood"`)
	}
	if defect == DefectUnknown {
		b.WriteString(`,"severityScore":3`)
	}
	if defect == DefectJSONType {
		b.WriteString(`,"note":{"text":"single note"}`)
	}
	if defect == DefectEmpty {
		b.WriteString(`,"recorder":{}`)
	}
	if defect == DefectReferenceType {
		b.WriteString(`,"asserter":{"reference":"Medication/med-1"}`)
	}
	b.WriteByte('}')
}

func medicationStatement(b *strings.Builder, rng *rand.Rand, i int, defect string) {
	m := medicines[rng.IntN(len(medicines))]
	fmt.Fprintf(b, `{"resourceType":"MedicationStatement","id":"med-%d",`, i)
	meta(b, i)
	b.WriteByte(',')
	narrative(b, m[1])
	status := "active"
	if defect == DefectBinding {
		status = "taking"
	}
	if defect != DefectCardinality {
		fmt.Fprintf(b, `,"status":"%s"`, status)
	}
	fmt.Fprintf(b, `,"medicationCodeableConcept":{"coding":[{"system":"https://dmd.nhs.uk","code":"%s","display":"%s"}]}`, m[0], m[1])
	if defect == DefectChoice {
		b.WriteString(`,"medicationReference":{"reference":"Medication/m1"}`)
	}
	fmt.Fprintf(b, `,"subject":{"reference":"Patient/pat-%d"}`, i-3)
	fmt.Fprintf(b, `,"effectivePeriod":{"start":"2023-%02d-01"}`, 1+rng.IntN(12))
	asserted := "2024-01-15"
	if defect == DefectFormat {
		asserted = "2024-1-15"
	}
	fmt.Fprintf(b, `,"dateAsserted":"%s"`, asserted)
	dose := `{"text":"One tablet twice a day","timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":1,"unit":"tablet"}}]}`
	if defect == DefectJSONType {
		dose = `{"text":"One tablet","sequence":"1"}`
	}
	fmt.Fprintf(b, `,"dosage":[%s]`, dose)
	if defect == DefectUnknown {
		b.WriteString(`,"prescriber":{"reference":"Practitioner/p1"}`)
	}
	if defect == DefectEmpty {
		b.WriteString(`,"reasonCode":[]`)
	}
	if defect == DefectReferenceType {
		b.WriteString(`,"informationSource":{"reference":"Condition/con-1"}`)
	}
	b.WriteByte('}')
}
