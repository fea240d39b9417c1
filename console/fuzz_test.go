package console

import (
	"net/url"
	"testing"
)

// FuzzPresetFromForm: whatever a form holds, reading a preset either fails with a reason or
// gives one that passes its own check and names only http(s) endpoints.
func FuzzPresetFromForm(f *testing.F) {
	f.Add("ods=RZX&name=Northbridge&type=acute-trust&target=https://127.0.0.1/fhir")
	f.Add("ods=rzx&name=%00&type=icb&target=javascript:alert(1)&gpconnect=file:///etc/passwd")
	f.Add("token_env=A%3DB&fhir_version=dstu2")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := presetFromForm(form.Get)
		if err != nil {
			return
		}
		if p.check() != nil {
			t.Fatalf("accepted preset fails its own check: %+v", p)
		}
		for _, u := range []string{p.Target, p.GPConnect, p.GPCStructure} {
			if u != "" && !(len(u) > 7 && (u[:7] == "http://" || (len(u) > 8 && u[:8] == "https://"))) {
				t.Fatalf("accepted endpoint %q", u)
			}
		}
	})
}

// FuzzCheckBind: an address is allowed without TLS only when its host is loopback.
func FuzzCheckBind(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", ":80", "[::1]:1", "localhost:0", "0.0.0.0:1", "example.com:443", "[::]:8080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if CheckBind(addr, false) == nil {
			if err := CheckBind(addr, true); err != nil {
				t.Fatalf("%q allowed without TLS but not with it: %v", addr, err)
			}
		}
	})
}
