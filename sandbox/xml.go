package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// FHIR XML from FHIR JSON (R4 "XML representation", 2.6.2): each property becomes an element in
// the order the JSON gives it, primitives carry a value attribute, arrays repeat the element,
// resources are wrapped in an element named by their type in the FHIR namespace, extension urls
// and element ids are attributes, and the narrative div is XHTML passed through. The sandbox's
// JSON is written in the specification's element order, which the XML needs.

const fhirNamespace = "http://hl7.org/fhir"

// maxXMLDepth bounds nesting: FHIR resources are nowhere near it; hostile input could be.
const maxXMLDepth = 64

// jsonNode is a JSON value with object member order kept.
type jsonNode struct {
	kind    byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	members []jsonMember
	items   []*jsonNode
	text    string
}

type jsonMember struct {
	key   string
	value *jsonNode
}

func (n *jsonNode) get(key string) *jsonNode {
	for _, m := range n.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

func decodeOrdered(data []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder, depth int) (*jsonNode, error) {
	if depth > maxXMLDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d", maxXMLDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jsonNode{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, jsonMember{key, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &jsonNode{kind: 'a'}
			for dec.More() {
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &jsonNode{kind: 's', text: t}, nil
	case json.Number:
		return &jsonNode{kind: 'n', text: t.String()}, nil
	case bool:
		return &jsonNode{kind: 'b', text: fmt.Sprint(t)}, nil
	case nil:
		return &jsonNode{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// fhirJSONToXML converts one FHIR resource from JSON to XML.
func fhirJSONToXML(data []byte) ([]byte, error) {
	root, err := decodeOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("read FHIR JSON: %w", err)
	}
	if root.kind != 'o' {
		return nil, errors.New("FHIR JSON must be an object")
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := writeResourceXML(&buf, root, 0); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func writeResourceXML(buf *bytes.Buffer, n *jsonNode, depth int) error {
	rt := n.get("resourceType")
	if rt == nil || rt.kind != 's' || !validTypeName(rt.text) {
		return errors.New("resource has no valid resourceType")
	}
	fmt.Fprintf(buf, `<%s xmlns="%s">`, rt.text, fhirNamespace)
	for _, m := range n.members {
		if m.key == "resourceType" {
			continue
		}
		if err := writePropertyXML(buf, m.key, m.value, depth+1); err != nil {
			return err
		}
	}
	fmt.Fprintf(buf, "</%s>", rt.text)
	return nil
}

func writePropertyXML(buf *bytes.Buffer, key string, v *jsonNode, depth int) error {
	if depth > maxXMLDepth {
		return fmt.Errorf("nested deeper than %d", maxXMLDepth)
	}
	if !validElementName(key) {
		if len(key) > 1 && key[0] == '_' {
			return nil // primitive extensions: the sandbox writes none
		}
		return fmt.Errorf("%q is not a FHIR element name", key)
	}
	switch v.kind {
	case 'z':
		return nil
	case 'a':
		for _, item := range v.items {
			if item.kind == 'a' {
				return fmt.Errorf("%s: arrays of arrays are not FHIR", key)
			}
			if err := writePropertyXML(buf, key, item, depth); err != nil {
				return err
			}
		}
		return nil
	case 's', 'n', 'b':
		if key == "div" && v.kind == 's' {
			buf.WriteString(v.text) // XHTML narrative, already XML
			return nil
		}
		buf.WriteString("<" + key + ` value="`)
		if err := xml.EscapeText(buf, []byte(v.text)); err != nil {
			return err
		}
		buf.WriteString(`"/>`)
		return nil
	}
	// An object: a contained resource, or a complex element.
	if rt := v.get("resourceType"); rt != nil {
		buf.WriteString("<" + key + ">")
		if err := writeResourceXML(buf, v, depth); err != nil {
			return err
		}
		buf.WriteString("</" + key + ">")
		return nil
	}
	buf.WriteString("<" + key)
	for _, attr := range []string{"id", "url"} {
		a := v.get(attr)
		if a == nil || a.kind != 's' || (attr == "url" && key != "extension" && key != "modifierExtension") {
			continue
		}
		buf.WriteString(" " + attr + `="`)
		if err := xml.EscapeText(buf, []byte(a.text)); err != nil {
			return err
		}
		buf.WriteString(`"`)
	}
	buf.WriteString(">")
	for _, m := range v.members {
		if m.key == "id" && m.value.kind == 's' {
			continue
		}
		if m.key == "url" && m.value.kind == 's' && (key == "extension" || key == "modifierExtension") {
			continue
		}
		if err := writePropertyXML(buf, m.key, m.value, depth+1); err != nil {
			return err
		}
	}
	buf.WriteString("</" + key + ">")
	return nil
}

// validElementName accepts FHIR element names (letters and digits, starting with a letter).
func validElementName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
