package jcs

import (
	"bytes"
	"strings"
	"testing"
)

// Vectors from RFC 8785: §3.2.2 (example), §3.2.3 (sorting) and Appendix B (numbers).
func TestCanonicalizeRFC8785(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{
			name: "§3.2.2 example",
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			name: "§3.2.3 sorting by UTF-16 code units",
			in: `{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
				"\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\"," +
				"\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{name: "zero and negative zero", in: `[0, -0, 0.0]`, want: `[0,0,0]`},
		{name: "integers up to 2^53", in: `[9007199254740992, -9007199254740992, 1]`, want: `[9007199254740992,-9007199254740992,1]`},
		{name: "exponent switch at 1e21", in: `[1e20, 1e21, 123e18]`, want: `[100000000000000000000,1e+21,123000000000000000000]`},
		{name: "small numbers", in: `[1e-6, 1e-7, 0.000001234]`, want: `[0.000001,1e-7,0.000001234]`},
		{name: "shortest round trip", in: `[0.1, 5e-324, 1.7976931348623157e308]`, want: `[0.1,5e-324,1.7976931348623157e+308]`},
		{name: "nested and whitespace", in: " { \"b\" : [ { \"d\":1 , \"c\":2 } ] , \"a\" : {} } ", want: `{"a":{},"b":[{"c":2,"d":1}]}`},
		{name: "control characters", in: `"\u0000\u001f\t\b\f"`, want: `"\u0000\u001f\t\b\f"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(c.in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			again, err := Canonicalize(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("canonical form is not a fixed point: %s, %v", again, err)
			}
		})
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	cases := []struct{ name, in, wantErr string }{
		{"duplicate member", `{"a":1,"a":2}`, "appears twice"},
		{"trailing data", `{} {}`, "after the document"},
		{"invalid UTF-8", "\"\xff\"", "UTF-8"},
		{"number out of range", `1e400`, ""},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), ""},
		{"not JSON", `{"a":}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Canonicalize([]byte(c.in))
			if err == nil {
				t.Fatal("accepted")
			}
			if c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("err = %v, want it to mention %q", err, c.wantErr)
			}
		})
	}
}

func TestWriteString(t *testing.T) {
	for in, want := range map[string]string{
		"plain": `"plain"`, "quote\"back\\": `"quote\"back\\"`, "\n\r\t": `"\n\r\t"`, "\x01": `"\u0001"`,
		"</script>": `"</script>"`, "ŵ€😀": `"ŵ€😀"`,
	} {
		var b bytes.Buffer
		WriteString(&b, in)
		if b.String() != want {
			t.Errorf("WriteString(%q) = %s, want %s", in, b.String(), want)
		}
	}
}
