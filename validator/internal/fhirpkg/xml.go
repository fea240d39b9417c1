package fhirpkg

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/model"
)

const (
	fhirNS  = "http://hl7.org/fhir"
	xhtmlNS = "http://www.w3.org/1999/xhtml"
)

// Index looks up base type definitions and their elements by path.
type Index struct {
	types map[string]*model.Structure
	paths map[*model.Structure]map[string]int
}

// NewIndex indexes the base types (not profiles) of d.
func NewIndex(d *model.Definitions) *Index {
	ix := &Index{types: map[string]*model.Structure{}, paths: map[*model.Structure]map[string]int{}}
	for i := range d.Structures {
		s := &d.Structures[i]
		if s.Derivation == "constraint" || s.Differential {
			continue
		}
		if s.Kind == "logical" {
			continue
		}
		ix.types[s.Type] = s
		m := make(map[string]int, len(s.Elements))
		for j, e := range s.Elements {
			if e.SliceName == "" {
				if _, dup := m[e.Path]; !dup {
					m[e.Path] = j
				}
			}
		}
		ix.paths[s] = m
	}
	return ix
}

// Type returns the base definition of a type name.
func (ix *Index) Type(name string) *model.Structure { return ix.types[name] }

// Element returns the element at path in s.
func (ix *Index) Element(s *model.Structure, path string) (*model.Element, bool) {
	i, ok := ix.paths[s][path]
	if !ok {
		return nil, false
	}
	return &s.Elements[i], true
}

// HasChildren reports whether path has child elements defined inline (a backbone element).
func (ix *Index) HasChildren(s *model.Structure, path string) bool {
	for p := range ix.paths[s] {
		if len(p) > len(path) && p[len(path)] == '.' && strings.HasPrefix(p, path) {
			return true
		}
	}
	return false
}

// Child finds the definition of a JSON or XML property name under a parent context. It returns
// the structure and element, the FHIR type chosen (resolving value[x] choices), and the base
// property name (without the type suffix of a choice).
func (ix *Index) Child(s *model.Structure, parentPath, name string) (*model.Structure, *model.Element, string, bool) {
	if e, ok := ix.Element(s, parentPath+"."+name); ok {
		typ := ""
		if len(e.Types) == 1 {
			typ = e.Types[0].Code
		}
		return s, e, typ, true
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] < 'A' || name[i] > 'Z' {
			continue
		}
		e, ok := ix.Element(s, parentPath+"."+name[:i]+"[x]")
		if !ok {
			continue
		}
		suffix := name[i:]
		for _, t := range e.Types {
			if strings.EqualFold(t.Code, suffix) && (t.Code == suffix || strings.ToUpper(t.Code[:1])+t.Code[1:] == suffix) {
				return s, e, t.Code, true
			}
		}
	}
	return nil, nil, "", false
}

// primitiveJSONKind says how a primitive type is written in JSON.
func primitiveJSONKind(code string) byte {
	switch code {
	case "boolean", "http://hl7.org/fhirpath/System.Boolean":
		return 'b'
	case "integer", "decimal", "positiveInt", "unsignedInt", "integer64",
		"http://hl7.org/fhirpath/System.Integer", "http://hl7.org/fhirpath/System.Decimal":
		return 'n'
	}
	return 's'
}

type xmlConverter struct {
	ix *Index
}

func newXMLConverter(d *model.Definitions) *xmlConverter { return &xmlConverter{ix: NewIndex(d)} }

// ConvertXML converts one FHIR XML resource to its JSON form using the definitions in d.
func ConvertXML(d *model.Definitions, data []byte) (map[string]any, error) {
	return newXMLConverter(d).Convert(data)
}

// Convert turns a FHIR XML resource into the generic JSON form.
func (c *xmlConverter) Convert(data []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	cv := &conversion{c: c, dec: dec, data: data}
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("no root element")
			}
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != fhirNS {
				return nil, fmt.Errorf("root element %s is not in the FHIR namespace", se.Name.Local)
			}
			res, err := cv.resource(se)
			if err != nil {
				return nil, err
			}
			tidyPrimitiveArrays(res)
			return res, nil
		}
	}
}

type conversion struct {
	c    *xmlConverter
	dec  *xml.Decoder
	data []byte
}

func (cv *conversion) resource(se xml.StartElement) (map[string]any, error) {
	rt := se.Name.Local
	s := cv.c.ix.Type(rt)
	if s == nil {
		return nil, fmt.Errorf("unknown resource type %s", rt)
	}
	obj := map[string]any{"resourceType": rt}
	if err := cv.children(obj, s, rt); err != nil {
		return nil, fmt.Errorf("%s: %w", rt, err)
	}
	return obj, nil
}

// children reads child elements up to the parent's end tag into obj.
func (cv *conversion) children(obj map[string]any, s *model.Structure, path string) error {
	for {
		tok, err := cv.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := cv.member(obj, s, path, t); err != nil {
				return err
			}
		}
	}
}

func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

func appendOrSet(obj map[string]any, key string, v any, many bool) {
	if !many {
		obj[key] = v
		return
	}
	arr, _ := obj[key].([]any)
	obj[key] = append(arr, v)
}

func (cv *conversion) member(obj map[string]any, s *model.Structure, path string, se xml.StartElement) error {
	name := se.Name.Local
	if name == "div" && se.Name.Space == xhtmlNS {
		start := cv.dec.InputOffset()
		if err := cv.dec.Skip(); err != nil {
			return err
		}
		end := cv.dec.InputOffset()
		// InputOffset after the start token points past '>'; find the '<' that opened it.
		open := bytes.LastIndex(cv.data[:start], []byte("<"))
		obj["div"] = string(cv.data[open:end])
		return nil
	}
	es, e, typ, ok := cv.c.ix.Child(s, path, name)
	if !ok {
		return fmt.Errorf("unknown element %s.%s", path, name)
	}
	if e.ContentRef != "" {
		path = e.ContentRef
		e, _ = cv.c.ix.Element(es, path)
		if e == nil {
			return fmt.Errorf("content reference %s not found", path)
		}
		typ = ""
	} else {
		path = e.Path
	}
	many := e.Max != 1
	if strings.HasSuffix(e.Path, "[x]") {
		many = false
	}
	if typ == "" && len(e.Types) > 0 && !strings.HasSuffix(e.Path, "[x]") {
		typ = e.Types[0].Code
	}
	switch {
	case typ == "Resource" || typ == "DomainResource":
		for {
			tok, err := cv.dec.Token()
			if err != nil {
				return err
			}
			if inner, ok := tok.(xml.StartElement); ok {
				r, err := cv.resource(inner)
				if err != nil {
					return err
				}
				appendOrSet(obj, name, r, many)
				// consume the wrapper's end tag
				for {
					tok, err := cv.dec.Token()
					if err != nil {
						return err
					}
					if _, ok := tok.(xml.EndElement); ok {
						return nil
					}
				}
			}
			if _, ok := tok.(xml.EndElement); ok {
				return fmt.Errorf("%s has no resource inside", name)
			}
		}
	case isPrimitive(cv.c.ix, typ) || e.Attribute:
		val, hasVal := attr(se, "value")
		id, hasID := attr(se, "id")
		ext := map[string]any{}
		if hasID {
			ext["id"] = id
		}
		if err := cv.children(ext, cv.c.ix.Type("Element"), "Element"); err != nil {
			return err
		}
		var jv any
		if hasVal {
			switch primitiveJSONKind(typ) {
			case 'b':
				jv = val == "true"
			case 'n':
				jv = json.Number(val)
			default:
				jv = val
			}
		}
		if !many {
			if hasVal {
				obj[name] = jv
			}
			if len(ext) > 0 {
				obj["_"+name] = ext
			}
			return nil
		}
		vals, _ := obj[name].([]any)
		exts, _ := obj["_"+name].([]any)
		n := len(vals)
		if len(exts) > n {
			n = len(exts)
		}
		for len(vals) < n {
			vals = append(vals, nil)
		}
		for len(exts) < n {
			exts = append(exts, nil)
		}
		vals = append(vals, jv)
		var ev any
		if len(ext) > 0 {
			ev = ext
		}
		exts = append(exts, ev)
		obj[name] = vals
		obj["_"+name] = exts
		return nil
	default:
		child := map[string]any{}
		if id, ok := attr(se, "id"); ok {
			child["id"] = id
		}
		if u, ok := attr(se, "url"); ok {
			child["url"] = u
		}
		cs, cp := es, path
		if !cv.c.ix.HasChildren(es, path) {
			cs = cv.c.ix.Type(typ)
			if cs == nil {
				return fmt.Errorf("%s: unknown type %q", path, typ)
			}
			cp = cs.Type
		}
		if err := cv.children(child, cs, cp); err != nil {
			return err
		}
		appendOrSet(obj, name, child, many)
		return nil
	}
}

func isPrimitive(ix *Index, code string) bool {
	if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
		return true
	}
	s := ix.Type(code)
	return s != nil && s.Kind == "primitive-type"
}

// tidyPrimitiveArrays removes "_name" arrays that hold only nulls and value arrays that hold
// only nulls, which the element-by-element conversion leaves behind.
func tidyPrimitiveArrays(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if arr, ok := x.([]any); ok {
				allNil := true
				for _, y := range arr {
					if y != nil {
						allNil = false
						break
					}
				}
				if allNil {
					delete(t, k)
					continue
				}
			}
			tidyPrimitiveArrays(x)
		}
	case []any:
		for _, x := range t {
			tidyPrimitiveArrays(x)
		}
	}
}
