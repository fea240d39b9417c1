package validator

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/nhs-jigsaw/jigsaw/validator/internal/jsontok"
)

// NDJSON is validated in parallel: one goroutine reads lines and packs them into batches,
// workers (each with its own walker) validate batches, and the caller's goroutine emits the
// results in input order. At most inFlight batches exist at any time, so memory stays bounded
// by about inFlight × batchBytes plus the workers' trees, whatever the size of the input.

// batchBytes is the size a batch of NDJSON lines is filled to before it is handed to a worker.
const batchBytes = 256 << 10

type lineBatch struct {
	seq       int
	firstLine int      // 1-based line number of the first line
	lines     [][]byte // slices of buf; nil for a line too long to validate
	lineNos   []int
	buf       []byte
	results   []Result
	err       error
}

// streamLinesParallel validates NDJSON with n workers. emit is called from the calling goroutine
// only, in input order.
func (v *Validator) streamLinesParallel(ctx context.Context, br *bufio.Reader, emit func(Result) error, n int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inFlight := 2 * n
	tokens := make(chan struct{}, inFlight)
	work := make(chan *lineBatch, inFlight)
	done := make(chan *lineBatch, inFlight)
	free := make(chan *lineBatch, inFlight)

	var readErr error
	go func() { // reader
		defer close(work)
		readErr = readBatches(ctx, br, tokens, work, free)
	}()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := v.pool.Get().(*walker)
			defer v.pool.Put(w)
			w.ctx = ctx
			w.onTree = nil
			for b := range work {
				b.err = v.validateBatch(ctx, w, b)
				done <- b
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	pending := map[int]*lineBatch{}
	next, index := 0, 0
	var emitErr error
	for b := range done {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if emitErr == nil && b.err != nil {
				emitErr = b.err
				cancel()
			}
			if emitErr == nil {
				for _, res := range b.results {
					res.Index = index
					index++
					if err := emit(res); err != nil {
						emitErr = err
						cancel()
						break
					}
				}
			}
			b.results = b.results[:0]
			select {
			case free <- b:
			default:
			}
			<-tokens
		}
	}
	if emitErr != nil {
		if errors.Is(emitErr, errCanceled) {
			return context.Canceled
		}
		return emitErr
	}
	if readErr != nil {
		return readErr
	}
	return ctx.Err()
}

// readBatches reads NDJSON lines into batches and sends them to work, taking a token for each.
func readBatches(ctx context.Context, br *bufio.Reader, tokens chan struct{}, work chan<- *lineBatch, free chan *lineBatch) error {
	seq, line := 0, 0
	var b *lineBatch
	newBatch := func() {
		select {
		case b = <-free:
			b.lines, b.lineNos, b.buf = b.lines[:0], b.lineNos[:0], b.buf[:0]
		default:
			b = &lineBatch{}
		}
		b.seq = seq
		b.firstLine = line + 1
		seq++
	}
	send := func() error {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		// Lines are slices of buf, which may have moved while it grew: cut them now.
		off := 0
		for i := range b.lines {
			if b.lines[i] == nil {
				continue
			}
			n := len(b.lines[i])
			b.lines[i] = b.buf[off : off+n]
			off += n
		}
		work <- b
		b = nil
		return nil
	}
	for {
		if b == nil {
			newBatch()
		}
		start := len(b.buf)
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if len(b.buf)-start+len(chunk) > maxLineBytes {
				tooLong = true
			} else {
				b.buf = append(b.buf, chunk...)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			break
		}
		if len(b.buf) == start && !tooLong && err != nil {
			if len(b.lines) > 0 {
				if e := send(); e != nil {
					return e
				}
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		line++
		switch {
		case tooLong:
			b.buf = b.buf[:start]
			b.lines = append(b.lines, nil)
			b.lineNos = append(b.lineNos, line)
		case len(bytes.TrimSpace(b.buf[start:])) == 0:
			b.buf = b.buf[:start]
		default:
			b.lines = append(b.lines, b.buf[start:len(b.buf):len(b.buf)])
			b.lineNos = append(b.lineNos, line)
		}
		if len(b.buf) >= batchBytes || len(b.lines) >= 4096 || err != nil {
			if len(b.lines) > 0 {
				if e := send(); e != nil {
					return e
				}
			} else {
				b.buf = b.buf[:0]
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// validateBatch validates the lines of a batch with a worker's walker.
func (v *Validator) validateBatch(ctx context.Context, w *walker, b *lineBatch) error {
	if w.lineRdr == nil {
		w.lineRdr = jsontok.NewReaderBytes(nil)
	}
	collect := func(r Result) error {
		b.results = append(b.results, r)
		return nil
	}
	for i, l := range b.lines {
		if err := ctx.Err(); err != nil {
			return err
		}
		ln := b.lineNos[i]
		if l == nil {
			b.results = append(b.results, Result{Line: ln, Issues: []Issue{{Severity: SeverityFatal, Code: "too-costly", Check: CheckLimit,
				Message: fmt.Sprintf("line %d is longer than %d MB and was not validated", ln, maxLineBytes>>20), Line: ln, Column: 1}}})
			continue
		}
		w.lineRdr.ResetBytes(l)
		if _, err := v.docValues(w, w.lineRdr, 0, ln-1, collect); err != nil {
			return err
		}
	}
	return nil
}
