package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/nhs-jigsaw/jigsaw/checklist"
)

// runWith runs the command tree on a factory with the given environment and default config
// file, as main would, and returns the exit code and output.
func runWith(t *testing.T, env map[string]string, config string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := defaultFactory(IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Getenv = func(k string) string { return env[k] }
	f.DefaultConfig = config
	root := newRootCmdWith(f)
	root.SetArgs(args)
	code := exitCode(root.ExecuteContext(context.Background()), f.IO)
	return code, out.String(), errOut.String()
}

// Flag values: flag > JIGSAW_* variable > config file > default.
func TestFlagPrecedence(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jsonCfg := write("json.yaml", "output: json\n")
	section := write("section.yaml", "output: table\nschema:\n  output: json\n")
	other := write("other.yaml", "output: table\nchecklist list:\n  output: json\n")
	for _, c := range []struct {
		name     string
		env      map[string]string
		config   string
		args     []string
		wantJSON bool
	}{
		{"default", nil, "", []string{"schema"}, false},
		{"missing default config is fine", nil, filepath.Join(dir, "none.yaml"), []string{"schema"}, false},
		{"config file", nil, jsonCfg, []string{"schema"}, true},
		{"--config", nil, "", []string{"schema", "--config", jsonCfg}, true},
		{"JIGSAW_CONFIG", map[string]string{"JIGSAW_CONFIG": jsonCfg}, "", []string{"schema"}, true},
		{"env over config", map[string]string{"JIGSAW_OUTPUT": "table"}, jsonCfg, []string{"schema"}, false},
		{"flag over env", map[string]string{"JIGSAW_OUTPUT": "table"}, jsonCfg, []string{"schema", "-o", "json"}, true},
		{"command section over top level", nil, section, []string{"schema"}, true},
		{"another command's section does not apply", nil, other, []string{"schema"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runWith(t, c.env, c.config, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := strings.HasPrefix(out, "["); got != c.wantJSON {
				t.Errorf("JSON output %v, want %v:\n%s", got, c.wantJSON, out)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(token, []byte("token: secret\n"), 0o600)
	os.WriteFile(bad, []byte("output: [\n"), 0o600)
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"token in a file", nil, []string{"probe", "--list", "--config", token}, "use JIGSAW_TOKEN"},
		{"named config missing", nil, []string{"schema", "--config", filepath.Join(dir, "none.yaml")}, "config file"},
		{"bad YAML", nil, []string{"schema", "--config", bad}, bad},
		{"bad env value", map[string]string{"JIGSAW_TIMEOUT": "soon"}, []string{"probe", "--list"}, "JIGSAW_TIMEOUT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runWith(t, c.env, "", c.args...)
			if code != exitUsage || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q: want exit %d naming %q", code, errOut, exitUsage, c.want)
			}
			if strings.Contains(errOut, "secret") {
				t.Error("the token from the file was printed")
			}
		})
	}
}

// --keep-bodies is a deprecated alias of --keep-identifiers.
func TestKeepBodiesIsDeprecatedAlias(t *testing.T) {
	root := newRootCmd(IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	c, _, err := root.Find([]string{"assess"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Flags().Lookup("keep-identifiers") == nil {
		t.Fatal("assess has no --keep-identifiers")
	}
	if f := c.Flags().Lookup("keep-bodies"); f == nil || f.Deprecated == "" {
		t.Error("--keep-bodies should remain as a deprecated alias")
	}
}

// The factory's catalogue is the one commands resolve against: a test can run the command tree
// on its own catalogue without a shell or the embedded files.
func TestFactoryCatalogue(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "checklist", "catalog", "nhs-interop", "2026.1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"catalog/test-list/2026.1.yaml": {Data: bytes.Replace(src, []byte("id: nhs-interop"), []byte("id: test-list"), 1)}}
	var out, errOut bytes.Buffer
	f := defaultFactory(IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Catalog = func() *checklist.Registry { return checklist.NewRegistry(fsys) }
	f.Getenv = func(string) string { return "" }
	f.DefaultConfig = ""
	root := newRootCmdWith(f)
	root.SetArgs([]string{"checklist", "list"})
	if code := exitCode(root.ExecuteContext(context.Background()), f.IO); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "test-list") || strings.Contains(out.String(), "nhs-interop") {
		t.Errorf("checklist list did not use the factory's catalogue:\n%s", out.String())
	}
}
