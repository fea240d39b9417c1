package sandbox

// Code tables for the synthetic records. Every SNOMED CT id is a real concept (most taken from the
// UK Core 2.0.0 example resources, the rest common primary-care concepts); every dm+d id is a real
// VMP from the UK Core examples or the NHS EPS and digital-medicines specifications; every LOINC
// code is a real code. Tests check all their check digits with package terminology.

const (
	systemSNOMEDOID    = "urn:oid:2.16.840.1.113883.6.96"
	systemNHSNumberOld = "http://fhir.nhs.net/Id/nhs-number"
	systemODSOld       = "http://fhir.nhs.net/Id/ods-organization-code"
	systemUCUM         = "http://unitsofmeasure.org"

	systemConditionClinical   = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	systemConditionVerStatus  = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	systemConditionCategory   = "http://terminology.hl7.org/CodeSystem/condition-category"
	systemAllergyClinical     = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	systemAllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	systemObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	systemOrganizationType    = "http://terminology.hl7.org/CodeSystem/organization-type"

	extNHSNumberVerification = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	systemNHSNumberVerifyEng = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"

	ukCoreProfileBase = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
)

// concept is a clinical idea as a well-run system codes it, with what a poorly run one records
// instead: free text, or a local code.
type concept struct {
	Code      string // SNOMED CT concept id (or dm+d id for medicines)
	Display   string
	LayText   string // what a clinician might type when no code is picked
	LocalCode string // a local system's code for the same idea
}

var conditionConcepts = []concept{
	{"44054006", "Diabetes mellitus type 2", "Type 2 diabetes", "DM2"},
	{"38341003", "Hypertensive disorder, systemic arterial", "High blood pressure", "HTN"},
	{"195967001", "Asthma", "Asthmatic", "ASTH"},
	{"13645005", "Chronic obstructive lung disease", "COPD", "COPD"},
	{"49436004", "Atrial fibrillation", "AF", "AF"},
	{"84114007", "Heart failure", "Heart failure", "CCF"},
	{"35489007", "Depressive disorder", "Low mood / depression", "DEP"},
	{"396275006", "Osteoarthritis", "OA knees", "OA"},
	{"40930008", "Hypothyroidism", "Underactive thyroid", "HYPOT"},
	{"22298006", "Myocardial infarction", "Heart attack", "MI"},
	{"65363002", "Otitis media", "Ear infection", "OM"},
	{"709044004", "Chronic kidney disease", "CKD", "CKD"},
}

var allergyConcepts = []concept{
	{"91936005", "Allergy to penicillin", "Penicillin allergy", "ALG-PEN"},
	{"91935009", "Allergy to peanuts", "Peanuts", "ALG-NUT"},
	{"300916003", "Latex allergy", "Latex", "ALG-LTX"},
	{"91930004", "Allergy to eggs", "Eggs", "ALG-EGG"},
	{"409137002", "No known drug allergy", "NKDA", "NKDA"},
}

// allergyCategory is the AllergyIntolerance.category for each allergy concept, by index.
var allergyCategory = []string{"medication", "food", "environment", "food", "medication"}

var manifestationConcepts = []concept{
	{"247472004", "Urticarial rash", "Hives", "RASH"},
	{"39579001", "Anaphylaxis", "Anaphylaxis", "ANAPH"},
}

// medicationConcepts are dm+d VMPs.
var medicationConcepts = []concept{
	{"322236009", "Paracetamol 500mg tablets", "Paracetamol 500mg", "F0101"},
	{"320000009", "Simvastatin 40mg tablets", "Simvastatin 40", "F0233"},
	{"317972000", "Furosemide 40mg tablets", "Furosemide 40mg mane", "F0315"},
	{"39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free", "Salbutamol inhaler PRN", "F0412"},
	{"39732411000001106", "Amoxicillin 500mg capsules", "Amoxicillin 500mg TDS", "F0520"},
	{"39687811000001107", "Ciprofloxacin 500mg tablets", "Ciprofloxacin 500", "F0521"},
	{"41946511000001109", "Clarithromycin 500mg tablets", "Clarithromycin", "F0522"},
	{"41948311000001104", "Doxycycline 100mg capsules", "Doxycycline 100mg", "F0523"},
}

// observationKind is one kind of measurement, coded in SNOMED CT and (for vital signs) LOINC.
type observationKind struct {
	SNOMED, SNOMEDDisplay string
	LOINC, LOINCDisplay   string
	Category              string // vital-signs or laboratory
	Unit, UCUM            string
	Min, Max              float64 // plausible adult range
	Decimals              int
	LayText, LocalCode    string
	BloodPressure         bool // a panel with systolic and diastolic components
}

var observationKinds = []observationKind{
	{SNOMED: "27113001", SNOMEDDisplay: "Body weight", LOINC: "29463-7", LOINCDisplay: "Body weight", Category: "vital-signs", Unit: "kg", UCUM: "kg", Min: 52, Max: 110, Decimals: 1, LayText: "Weight", LocalCode: "WT"},
	{SNOMED: "75367002", SNOMEDDisplay: "Blood pressure", LOINC: "85354-9", LOINCDisplay: "Blood pressure panel with all children optional", Category: "vital-signs", BloodPressure: true, LayText: "BP", LocalCode: "BP"},
	{SNOMED: "364075005", SNOMEDDisplay: "Heart rate", LOINC: "8867-4", LOINCDisplay: "Heart rate", Category: "vital-signs", Unit: "beats/minute", UCUM: "/min", Min: 56, Max: 96, LayText: "Pulse", LocalCode: "HR"},
	{SNOMED: "1000651000000109", SNOMEDDisplay: "Serum potassium level", Category: "laboratory", Unit: "mmol/L", UCUM: "mmol/L", Min: 3.6, Max: 5.1, Decimals: 1, LayText: "K+", LocalCode: "K"},
	{SNOMED: "60621009", SNOMEDDisplay: "Body mass index", LOINC: "39156-5", LOINCDisplay: "Body mass index (BMI) [Ratio]", Category: "vital-signs", Unit: "kg/m2", UCUM: "kg/m2", Min: 19, Max: 36, Decimals: 1, LayText: "BMI", LocalCode: "BMI"},
	{SNOMED: "86290005", SNOMEDDisplay: "Respiratory rate", LOINC: "9279-1", LOINCDisplay: "Respiratory rate", Category: "vital-signs", Unit: "breaths/minute", UCUM: "/min", Min: 12, Max: 20, LayText: "Resp rate", LocalCode: "RR"},
	{SNOMED: "1000821000000103", SNOMEDDisplay: "Serum albumin level", Category: "laboratory", Unit: "g/L", UCUM: "g/L", Min: 35, Max: 50, LayText: "Albumin", LocalCode: "ALB"},
}

// Blood pressure components (UK Core's blood pressure example codes).
var (
	systolicCodes  = [4]string{"72313002", "Systolic arterial pressure", "8480-6", "Systolic blood pressure"}
	diastolicCodes = [4]string{"1091811000000102", "Diastolic arterial pressure", "8462-4", "Diastolic blood pressure"}
)
