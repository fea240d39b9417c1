package assess

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/nhs-jigsaw/jigsaw/answers"
	"github.com/nhs-jigsaw/jigsaw/evidence"
)

// Attachment is a file handed in with an answers file.
type Attachment struct {
	// Name is the file's base name, as answers cite it.
	Name    string
	Content []byte
}

// AnswersImport is what ImportAnswersWithFiles recorded.
type AnswersImport struct {
	Files  []evidence.AttachedFile
	Result evidence.ImportResult
}

// ImportAnswersWithFiles records the attachments and then the answers, an answer citing an
// attached file by name citing it by evidence id. Every digest an answer states for an
// attached file is checked first: the evidence store is append-only, so on a mismatch nothing
// is written.
func ImportAnswersWithFiles(ctx context.Context, store *evidence.Store, assessmentID int64, f *answers.File,
	files []Attachment, keepBytes bool, note string) (AnswersImport, error) {
	sums := map[string]string{}
	for _, af := range files {
		if _, dup := sums[af.Name]; dup {
			return AnswersImport{}, fmt.Errorf("attach: two files are named %s", af.Name)
		}
		sum := sha256.Sum256(af.Content)
		sums[af.Name] = hex.EncodeToString(sum[:])
	}
	for _, a := range f.Answers {
		for _, d := range a.Evidence {
			if sum, ok := sums[d.Name]; ok && d.SHA256 != "" && d.SHA256 != sum {
				return AnswersImport{}, fmt.Errorf("%s: item %s cites %s with sha256 %s, but the attached file has sha256 %s: nothing was recorded",
					f.Source, a.Item, d.Name, d.SHA256, sum)
			}
		}
	}

	out := AnswersImport{Files: []evidence.AttachedFile{}}
	byName := map[string]evidence.AttachedFile{}
	for _, af := range files {
		rec, err := store.AttachFile(ctx, assessmentID, evidence.FileInput{
			Name: af.Name, Content: bytes.NewReader(af.Content), KeepBytes: keepBytes, Note: note,
		})
		if err != nil {
			return out, err
		}
		out.Files = append(out.Files, rec)
		byName[rec.Name] = rec
	}
	for i := range f.Answers {
		for j := range f.Answers[i].Evidence {
			d := &f.Answers[i].Evidence[j]
			if rec, ok := byName[d.Name]; ok {
				d.Name, d.SHA256 = rec.ID, ""
			}
		}
	}
	res, err := ImportAnswers(ctx, store, assessmentID, f)
	if err != nil {
		return out, err
	}
	out.Result = res
	return out, nil
}
