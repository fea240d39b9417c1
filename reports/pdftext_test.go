package reports

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"
)

// pdfText extracts the text drawn on each page of a PDF written by this package, one line per
// text-showing operator (Tj or TJ). It reads the PDF itself, so a test of it checks what a
// reader would see, without needing pdftotext: content streams are inflated and their strings
// decoded from UTF-16BE, which is how fpdf writes text in a UTF-8 font.
func pdfText(pdf []byte) ([][]string, error) {
	var pages [][]string
	for _, m := range streamRe.FindAllSubmatchIndex(pdf, -1) {
		dict := pdf[m[2]:m[3]]
		if !bytes.Contains(dict, []byte("/FlateDecode")) || bytes.Contains(dict, []byte("/Length1")) {
			continue
		}
		zr, err := zlib.NewReader(bytes.NewReader(pdf[m[1]:]))
		if err != nil {
			continue
		}
		content, err := io.ReadAll(zr)
		if err != nil && len(content) == 0 {
			continue
		}
		if !bytes.Contains(content, []byte("BT ")) {
			continue
		}
		pages = append(pages, contentText(content))
	}
	return pages, nil
}

var streamRe = regexp.MustCompile(`(?s)(<<[^>]*>>)\s*stream\r?\n`)

// contentText walks a content stream and returns the text of each Tj/TJ operator.
func contentText(c []byte) []string {
	var lines []string
	var pending []string
	for i := 0; i < len(c); i++ {
		switch {
		case c[i] == '(':
			s, next := literalString(c, i)
			pending = append(pending, decodeUTF16BE(s))
			i = next - 1
		case bytes.HasPrefix(c[i:], []byte("Tj")) || bytes.HasPrefix(c[i:], []byte("TJ")):
			if pending != nil {
				lines = append(lines, strings.Join(pending, ""))
			}
			pending = nil
			i++
		case bytes.HasPrefix(c[i:], []byte("ET")):
			pending = nil
			i++
		}
	}
	return lines
}

// literalString reads a PDF literal string starting at the '(' at start, and returns its
// bytes and the index just after the closing ')'.
func literalString(c []byte, start int) ([]byte, int) {
	var out []byte
	depth := 0
	for i := start; i < len(c); i++ {
		ch := c[i]
		switch ch {
		case '\\':
			i++
			if i >= len(c) {
				return out, i
			}
			switch e := c[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v, n := 0, 0
				for n < 3 && i < len(c) && c[i] >= '0' && c[i] <= '7' {
					v = v*8 + int(c[i]-'0')
					i++
					n++
				}
				i--
				out = append(out, byte(v))
			default:
				out = append(out, e)
			}
		case '(':
			if depth > 0 {
				out = append(out, ch)
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out, i + 1
			}
			out = append(out, ch)
		default:
			out = append(out, ch)
		}
	}
	return out, len(c)
}

func decodeUTF16BE(b []byte) string {
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
