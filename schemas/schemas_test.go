package schemas

import (
	"strings"
	"testing"
)

func TestNamesAndJSON(t *testing.T) {
	names := Names()
	for _, want := range []string{"answers", "checklist", "probe-result"} {
		b, err := JSON(want)
		if err != nil {
			t.Fatalf("JSON(%s): %v (names: %v)", want, err, names)
		}
		if !strings.Contains(string(b), `"$id": "https://github.com/nhs-jigsaw/jigsaw/schemas/`+FileName(want)+`"`) {
			t.Errorf("%s has no $id naming its file", want)
		}
		if _, err := Compile(want); err != nil {
			t.Errorf("Compile(%s): %v", want, err)
		}
	}
	if _, err := JSON("nope"); err == nil || !strings.Contains(err.Error(), `no schema named "nope" (known: `) {
		t.Errorf("JSON(nope) error = %v", err)
	}
	if _, err := CompileJSON("broken", []byte(`{"type": 12}`)); err == nil {
		t.Error("a schema with a wrong type keyword must not compile")
	}
}
