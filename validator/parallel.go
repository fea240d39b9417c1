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
		w.lineRdr.SetComments(v.comments)
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

// A large Bundle is one JSON document, so it cannot be split by lines; instead the walker
// reading it hands each entry's resource of the top-level Bundle to a worker: it checks the
// syntax while skipping over the resource (the tokenizer must read every byte anyway), copies its
// bytes, and goes on with the next entry while workers validate resources in trees of their
// own. When the Bundle ends, the walker waits for its entries in order, merges their issues and
// summaries and runs the Bundle rules. At most 2 × workers resources are in flight.

// entryJob is one Bundle entry resource validated by a worker.
type entryJob struct {
	data      []byte
	line, col int   // where the resource's '{' is in the input
	offset    int64 // and its byte offset
	// hasFullURL: the entry's fullUrl came before the resource
	hasFullURL bool
	prefix     []pathSeg // Bundle.entry[i].resource
	elem       *elemDef
	batch      *entryBatch
	issues     []Issue
	dropped    int
	summary    pendingEntry
	err        error
}

// entryBatch is consecutive entry resources handed to a worker together: entries are often
// small, and one hand-off per entry would cost as much as validating it.
type entryBatch struct {
	jobs []*entryJob
	size int
	buf  []byte // holds the jobs' data that fits
	done chan struct{}
}

// entryBatchBytes is the size a batch of entry resources is filled to before it is handed off.
const entryBatchBytes = 64 << 10

// entryPool runs the workers of one input document.
type entryPool struct {
	v      *Validator
	ctx    context.Context
	jobs   chan *entryBatch
	tokens chan struct{}
	free   chan []byte // batch buffers the workers are done with, for reuse
	open   *entryBatch // being filled
	wg     sync.WaitGroup
}

// dispatch hands the batch being filled to the workers, waiting while 2 × workers batches are
// in flight, so that memory stays bounded.
func (p *entryPool) dispatch() error {
	b := p.open
	if b == nil {
		return nil
	}
	p.open = nil
	select {
	case p.tokens <- struct{}{}:
	case <-p.ctx.Done():
		close(b.done) // its jobs are never run; the caller stops on the cancellation
		return errCanceled
	}
	p.jobs <- b
	return nil
}

func (v *Validator) newEntryPool(ctx context.Context, n int) *entryPool {
	p := &entryPool{v: v, ctx: ctx, jobs: make(chan *entryBatch, 2*n), tokens: make(chan struct{}, 2*n), free: make(chan []byte, 2*n+1)}
	for i := 0; i < n; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			w := v.pool.Get().(*walker)
			defer v.pool.Put(w)
			// Entries are never top-level resources: the validator's --profile applies to the
			// document, not to what it holds.
			savedExtra := w.extraProfiles
			defer func() { w.extraProfiles = savedExtra }()
			w.extraProfiles = nil
			w.ctx = ctx
			w.onTree = nil
			w.par, w.parStart = nil, nil
			for b := range p.jobs {
				for _, j := range b.jobs {
					v.validateEntryJob(w, j)
				}
				// The jobs are kept until the Bundle ends; their bytes are not: the buffer goes
				// back to be filled again (fresh memory for every batch costs page faults).
				select {
				case p.free <- b.buf[:0]:
				default:
				}
				b.buf = nil
				close(b.done)
				<-p.tokens
			}
		}()
	}
	return p
}

func (p *entryPool) close() {
	if p.open != nil { // only after an error: the Bundle's end dispatches what it filled
		close(p.open.done)
		p.open = nil
	}
	close(p.jobs)
	p.wg.Wait()
}

// handOff gives the entry resource whose '{' was just read to a worker. It returns false (and
// nothing consumed) when the resource is better validated here: an unknown or abstract
// resourceType, reported the usual way.
func (w *walker) handOff(start *jsontok.Token, parent int32, name string, e *elemDef, index int32) (bool, error) {
	typeName, err := w.findResourceType()
	if err != nil {
		return false, err
	}
	t := w.sc.types[typeName]
	if t == nil || t.kind != kindResource || t.abstract {
		return false, nil
	}
	outer := w.tree()
	if stub := outer.add(parent, name, e, t, index, start.Line, start.Col); stub >= 0 {
		outer.nodes[stub].resource = true
		outer.nodes[stub].stub = true
		outer.truncated = true
	}
	w.tr.Mark()
	// The worker parses these bytes in full, so here the end of the resource is only found
	// (bracket matching), which keeps this goroutine, the one every entry passes through,
	// from tokenizing each entry a second time.
	if err := w.tr.SkimContainer(); err != nil {
		w.tr.Unmark()
		return true, err
	}
	if w.par == nil {
		w.par = w.parStart()
	}
	p := w.par
	if p.open == nil {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
			buf = make([]byte, 0, entryBatchBytes+entryBatchBytes/4)
		}
		p.open = &entryBatch{done: make(chan struct{}), buf: buf}
	}
	// The resource's bytes go into the batch's buffer (one allocation per batch, not per
	// entry), or into their own when they do not fit.
	raw := w.tr.MarkedBytes()
	var data []byte
	if n := len(p.open.buf); n+1+len(raw) <= cap(p.open.buf) {
		p.open.buf = append(append(p.open.buf, '{'), raw...)
		data = p.open.buf[n:len(p.open.buf):len(p.open.buf)]
	} else {
		data = make([]byte, 1+len(raw))
		data[0] = '{'
		copy(data[1:], raw)
	}
	w.tr.Unmark()
	j := &entryJob{data: data, line: start.Line, col: start.Col, offset: start.Offset, prefix: append([]pathSeg(nil), w.path...), elem: e, batch: p.open,
		hasFullURL: parent >= 0 && outer.findChild(parent, "fullUrl", -1) >= 0}
	p.open.jobs = append(p.open.jobs, j)
	p.open.size += len(data)
	if p.open.size >= entryBatchBytes {
		if err := p.dispatch(); err != nil {
			return true, err
		}
	}
	b := w.bundles[len(w.bundles)-1]
	b.jobs = append(b.jobs, j)
	w.pending = pendingEntry{set: true, typ: t.name, job: len(b.jobs)}
	return true, nil
}

// validateEntryJob validates one handed-off entry resource with a worker's walker.
func (v *Validator) validateEntryJob(w *walker, j *entryJob) {
	if w.lineRdr == nil {
		w.lineRdr = jsontok.NewReaderBytes(nil)
		w.lineRdr.SetComments(v.comments)
	}
	w.lineRdr.ResetBytes(j.data)
	w.tr = w.lineRdr
	w.issues = w.issues[:0]
	w.dropped = 0
	w.path = append(w.path[:0], j.prefix...)
	w.trees = w.trees[:0]
	w.depth = 0
	w.profiles = nil
	w.bundles = append(w.bundles[:0], &bundleCtx{node: -1})
	w.pending = pendingEntry{}
	w.entryHasFullURL = j.hasFullURL
	tok, err := w.tr.Next()
	if err == nil {
		_, _, err = w.resource(&tok, -2, "resource", j.elem, -1, true)
	}
	w.bundles = w.bundles[:0]
	shift := func(line, col int) (int, int) {
		if line == 1 {
			col += j.col - 1
		}
		if line > 0 {
			line += j.line - 1
		}
		return line, col
	}
	if err != nil {
		// The entry's bytes were only skimmed by the reader of the document, so a syntax error
		// inside them is found here; it is placed in the document.
		var se *jsontok.SyntaxError
		if errors.As(err, &se) {
			line, col := shift(se.Line, se.Col)
			err = &jsontok.SyntaxError{Msg: se.Msg, Line: line, Col: col, Offset: se.Offset + j.offset}
		}
		j.err = err
	}
	j.issues = append([]Issue(nil), w.issues...)
	for i := range j.issues {
		j.issues[i].Line, j.issues[i].Column = shift(j.issues[i].Line, j.issues[i].Column)
	}
	j.dropped = w.dropped
	j.summary = w.pending
	for i := range j.summary.refs {
		j.summary.refs[i].line, j.summary.refs[i].col = shift(j.summary.refs[i].line, j.summary.refs[i].col)
	}
	for i := range j.summary.relative {
		j.summary.relative[i].line, j.summary.relative[i].col = shift(j.summary.relative[i].line, j.summary.relative[i].col)
	}
	w.pending = pendingEntry{}
	j.data, j.prefix = nil, nil
}

// collectEntryJobs waits for the entries of a Bundle that workers validated, in order, and
// merges their issues and summaries.
func (w *walker) collectEntryJobs(b *bundleCtx) error {
	if len(b.jobs) == 0 {
		return nil
	}
	if err := w.par.dispatch(); err != nil {
		return err
	}
	var firstErr error
	for _, j := range b.jobs {
		<-j.batch.done
		if firstErr == nil {
			// Entries after one that cannot be read are not reached by a sequential reader
			// either: their issues are left out.
			for _, is := range j.issues {
				w.issues = appendIssue(w, is)
			}
			w.dropped += j.dropped
			firstErr = j.err
		}
		j.issues = nil
	}
	if firstErr != nil {
		if errors.Is(firstErr, errCanceled) || errors.Is(firstErr, context.Canceled) {
			return errCanceled
		}
		return firstErr
	}
	for i := range b.entries.Len() {
		e := b.entries.At(i)
		if e.job == 0 {
			continue
		}
		s := b.jobs[e.job-1].summary
		e.typ, e.id, e.vers, e.refs, e.relative = s.typ, s.id, s.vers, s.refs, s.relative
		w.checkFullURL(e)
	}
	b.jobs = nil
	return nil
}
