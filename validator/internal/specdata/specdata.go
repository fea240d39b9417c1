// Package specdata embeds the compact FHIR definitions generated from the official packages.
//
// Regenerate from the repository root with
//
//	go generate ./validator/internal/specdata
//
// which reads ../shared/fhir/hl7.fhir.r4.core-4.0.1.tgz, uk-core-r4-2.0.0-xml.tgz and
// hl7.fhir.r3.core-3.0.1.tgz (see docs/validator.md). The files are gzip-compressed gob
// encodings of validator/internal/model.Definitions. UK Core content is published openly by NHS
// England (https://simplifier.net/hl7fhirukcorer4); the HL7 core packages are CC0-1.0.
package specdata

import _ "embed"

//go:generate go run ../gen -fhir ../../../../shared/fhir -out . -testdata ../../testdata

// R4 holds FHIR R4 4.0.1 core plus UK Core 2.0.0.
//
//go:embed r4.gob.gz
var R4 []byte

// STU3 holds FHIR STU3 3.0.1 core.
//
//go:embed stu3.gob.gz
var STU3 []byte

// R4CodeSystems holds the codes of the complete FHIR-defined code systems of R4 core
// (gzip-compressed JSON: URL -> codes).
//
//go:embed r4-codesystems.json.gz
var R4CodeSystems []byte

// STU3CodeSystems is the same for STU3 core.
//
//go:embed stu3-codesystems.json.gz
var STU3CodeSystems []byte

// R4SearchParams holds the R4 core SearchParameters' types and bases (gzip-compressed JSON:
// URL -> {type, base}).
//
//go:embed r4-searchparams.json.gz
var R4SearchParams []byte

// STU3SearchParams is the same for STU3 core.
//
//go:embed stu3-searchparams.json.gz
var STU3SearchParams []byte
