package answers

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
)

// workbookParts unzips a workbook into its parts, in order.
func workbookParts(t testing.TB, data []byte) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		parts[f.Name] = b
	}
	return names, parts
}

// rezip builds a workbook from parts; replace gives some parts new content written by a
// function (so a large part is streamed, never held).
func rezip(t testing.TB, names []string, parts map[string][]byte, replace map[string]func(io.Writer)) []byte {
	return rezipWith(t, zip.Deflate, names, parts, replace)
}

// rezipWith is rezip with a compression method: zip.Store keeps fuzzing fast.
func rezipWith(t testing.TB, method uint16, names []string, parts map[string][]byte, replace map[string]func(io.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := replace[n]; ok {
			f(w)
		} else if _, err := w.Write(parts[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func filledWorkbook(t testing.TB) (*checklist.Checklist, []byte) {
	c, err := checklist.Lookup("nhs-interop@2026.1")
	if err != nil {
		t.Fatal(err)
	}
	ex, _ := Example("exemplar", c)
	return c, fill(t, templateFor(t, c, ex.Organisation.Type), ex)
}

// answersSheet is the part holding the Answers sheet (the third sheet of the template).
const answersSheet = "xl/worksheets/sheet3.xml"

// bigSheet writes a worksheet of n rows of one small cell each.
func bigSheet(n int) func(io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		row := []byte(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`)
		for range n {
			w.Write(row)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	}
}

func TestWorkbookLimits(t *testing.T) {
	c, good := filledWorkbook(t)
	names, parts := workbookParts(t, good)
	tests := []struct {
		name string
		data []byte
		want string
		peek bool // PeekXLSX refuses it too (it reads only the Organisation and Jigsaw sheets)
	}{
		// 1.3 million rows: about 64 MiB unzipped from well under 1 MiB.
		{"decompression bomb", rezip(t, names, parts, map[string]func(io.Writer){answersSheet: bigSheet(1_300_000)}), "unzips to 63700167 bytes, more than the 4 MiB limit", true},
		{"too many rows", rezip(t, names, parts, map[string]func(io.Writer){answersSheet: bigSheet(20_000)}), "more than 10000 rows", false},
		{"lying sizes", lyingZip(t, 50<<20), "not an Excel workbook", true},
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.data) > 1<<20 {
				t.Fatalf("test workbook is %d bytes; it should be small", len(tt.data))
			}
			if _, err := ParseXLSX("bomb.xlsx", tt.data, c, SelfAssessed); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseXLSX: got %v, want %q", err, tt.want)
			}
			if _, _, err := PeekXLSX("bomb.xlsx", tt.data); tt.peek && err == nil {
				t.Errorf("PeekXLSX accepted it")
			}
		})
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	// And a real workbook still reads.
	if _, err := ParseXLSX("good.xlsx", good, c, SelfAssessed); err != nil {
		t.Fatal(err)
	}
}

// lyingZip is a zip whose one entry claims to unzip to 100 bytes but inflates to n.
func lyingZip(t testing.TB, n int) []byte {
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	crc := crc32.NewIEEE()
	chunk := bytes.Repeat([]byte("<row/>"), 1<<14)
	for written := 0; written < n; written += len(chunk) {
		fw.Write(chunk)
		crc.Write(chunk)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc.Sum32(), CompressedSize64: uint64(raw.Len()), UncompressedSize64: 100})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	zw.Close()
	return buf.Bytes()
}

// FuzzWorkbookXML mutates the XML inside a valid, filled-in workbook, so every input gets past
// the zip check and exercises excelize and the cell checks. part chooses which part to replace.
func FuzzWorkbookXML(f *testing.F) {
	c, good := filledWorkbook(f)
	names, parts := workbookParts(f, good)
	for i, n := range names {
		if strings.HasSuffix(n, ".xml") {
			f.Add(uint8(i), parts[n])
		}
	}
	f.Fuzz(func(t *testing.T, part uint8, xml []byte) {
		name := names[int(part)%len(names)]
		data := rezipWith(t, zip.Store, names, parts, map[string]func(io.Writer){name: func(w io.Writer) { w.Write(xml) }})
		// A hostile workbook may be refused, never hang the import.
		type outcome struct {
			got *File
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			got, err := ParseXLSX("fuzz.xlsx", data, c, SelfAssessed)
			done <- outcome{got, err}
		}()
		var got *File
		var err error
		select {
		case o := <-done:
			got, err = o.got, o.err
		case <-time.After(20 * time.Second):
			t.Fatalf("ParseXLSX took more than 20 s with part %s replaced by %d bytes", name, len(xml))
		}
		if err == nil && len(got.Answers) == 0 {
			t.Fatal("accepted a workbook without answers")
		}
		var we *WorkbookErrors
		if err != nil && errors.As(err, &we) {
			for _, e := range we.Errors {
				if strings.ContainsAny(e.Message, "\x00\x1b") {
					t.Fatalf("raw control bytes in %q", e.Message)
				}
			}
		}
		_, _, _ = PeekXLSX("fuzz.xlsx", data)
	})
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
