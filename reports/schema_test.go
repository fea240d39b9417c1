package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/invopop/jsonschema"
	sj "github.com/santhosh-tekuri/jsonschema/v6"
)

// The lead generates the published JSON Schemas from these types with invopop/jsonschema; this
// checks that the reflected schemas compile and that the golden outputs satisfy them.
func TestJSONOutputsMatchReflectedSchemas(t *testing.T) {
	for name, v := range map[string]any{"report": &Report{}, "league": &League{}} {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal((&jsonschema.Reflector{}).Reflect(v))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := sj.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			c := sj.NewCompiler()
			if err := c.AddResource(name+".schema.json", doc); err != nil {
				t.Fatal(err)
			}
			schema, err := c.Compile(name + ".schema.json")
			if err != nil {
				t.Fatalf("reflected schema does not compile: %v", err)
			}
			data, err := os.ReadFile("testdata/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			inst, err := sj.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("testdata/%s.json does not match its schema: %v", name, err)
			}
		})
	}
}
