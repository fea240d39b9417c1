package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pdf")
	if err := WriteBytes(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		render  func(io.Writer) error
		want    string
		wantErr bool
	}{
		{name: "replaces whole", render: func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, want: "new"},
		{name: "failed render leaves the old file", render: func(w io.Writer) error {
			io.WriteString(w, "half")
			return errors.New("renderer failed")
		}, want: "new", wantErr: true},
	}
	for _, tt := range tests {
		err := Write(path, 0o600, tt.render)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v", tt.name, err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != tt.want {
			t.Errorf("%s: file holds %q, want %q", tt.name, got, tt.want)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteBytes(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("wrote into a missing directory")
	}
}
