package validator

import (
	"fmt"
	"iter"
	"strings"
)

// Bundle rules beyond the bdl-* invariants, as the HL7 Java validator applies them
// (BundleValidator): fullUrls absolute and agreeing with a RESTful resource's type and id,
// entries without a fullUrl, link relations, search set entries, the STU3 document date, and
// references resolved inside document and message Bundles (the Composition's and MessageHeader's
// references, several matches, versioned references, unreachable entries, urn:uuid references
// that nothing in the Bundle answers).
//
// Each entry resource is validated in a tree of its own, so the Bundle keeps a summary of each
// entry (fullUrl, type, id, version and the references it holds) and checks them when the
// Bundle ends. The summaries are bounded: past maxBundleEntries entries the reference checks
// stop, and a limit issue says so.

// maxBundleEntries bounds the entry summaries one Bundle keeps for its reference checks.
const maxBundleEntries = 200_000

// bundleCtx is the state of one Bundle being read (Bundles nest: an entry may be a Bundle).
type bundleCtx struct {
	tree     *tree // the tree holding the Bundle's skeleton, and its node there
	node     int32
	top      bool // the top-level resource of the input
	entries  entryList
	overflow bool
	jobs     []*entryJob // entries handed to workers, in order
	// entriesAt is the path of the entry element, rendered once (see entriesPath)
	entriesAt string
}

// resolvesAll reports whether the Bundle's references are all resolved (documents and
// messages), as far as its type is known yet; other Bundles keep only URN references.
func (b *bundleCtx) resolvesAll() bool {
	if b.node < 0 {
		return true
	}
	c := b.tree.findChild(b.node, "type", -1)
	if c < 0 || b.tree.nodes[c].kind != valString {
		return true // not read yet
	}
	typ := b.tree.str(c)
	return typ == "document" || typ == "message"
}

// entryList holds a Bundle's entry summaries in fixed-size chunks: a Bundle may have a hundred
// thousand entries, and growing one slice would copy them all, again and again.
type entryList struct {
	chunks [][]bundleEntry
	n      int
}

const entryChunk = 1024

func (l *entryList) Len() int { return l.n }

func (l *entryList) At(i int) *bundleEntry { return &l.chunks[i/entryChunk][i%entryChunk] }

func (l *entryList) Append(e bundleEntry) {
	if l.n%entryChunk == 0 {
		l.chunks = append(l.chunks, make([]bundleEntry, 0, entryChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, e)
	l.n++
}

func (l *entryList) Reset() { l.chunks, l.n = nil, 0 }

// All yields the entries in order.
func (l *entryList) All() iter.Seq2[int, *bundleEntry] {
	return func(yield func(int, *bundleEntry) bool) {
		for i := range l.n {
			if !yield(i, l.At(i)) {
				return
			}
		}
	}
}

// bundleEntry summarises one Bundle entry.
type bundleEntry struct {
	// where: "Bundle.entry" (shared by the Bundle's entries) and i, so that the path
	// Bundle.entry[i] is only rendered for an entry that has something to report.
	at            string
	index         int32
	line, col     int
	fullUrl       string
	hasFullUrl    bool
	hasResource   bool
	typ, id, vers string
	searchMode    string
	refs          []entryRef // literal references held by the entry's resource
	relative      []entryRef // relative references (see pendingEntry)
	job           int        // 1 + index into bundleCtx.jobs when a worker validates the resource
	fullLine      int        // position of the fullUrl
	fullCol       int
}

// entryRef is one literal reference inside an entry's resource.
type entryRef struct {
	ref       string
	expr      string
	line, col int
	doc       string // for the Composition's and MessageHeader's own references: what it is
}

// documentRefs are the references of a document's Composition that must resolve inside the
// Bundle, with the name Java gives them.
var documentRefs = map[string]string{
	"Composition.subject":        "Composition.subject",
	"Composition.author":         "Composition.author",
	"Composition.encounter":      "Composition.encounter",
	"Composition.custodian":      "Composition.custodian",
	"Composition.attester.party": "Composition.attester.party",
	"Composition.event.detail":   "Composition.event.detail",
	"Composition.section.author": "Section.author",
	"Composition.section.focus":  "Section.focus",
	"Composition.section.entry":  "Section Entry",
	"MessageHeader.focus":        "MessageHeader Data",
}

// pendingEntry is the summary of the entry resource just read, waiting for its entry to end.
type pendingEntry struct {
	set           bool
	typ, id, vers string
	refs          []entryRef
	relative      []entryRef // relative references (Type/id), the first few, for entries without a fullUrl
	line, col     int
	job           int // 1 + index of the worker job validating the resource
}

// summariseEntry records what the Bundle checks need from a finished entry resource tree.
// prefix is the path of the resource (Bundle.entry[3].resource).
// hasFullURL says the entry's fullUrl is known already; its relative references are then not
// kept (they are only reported for entries without one).
func (w *walker) summariseEntry(t *tree, prefix string, hasFullURL bool) {
	if len(w.bundles) == 0 {
		return
	}
	b := w.bundles[len(w.bundles)-1]
	p := pendingEntry{set: true}
	if len(t.nodes) == 0 {
		w.pending = p
		return
	}
	root := &t.nodes[0]
	if root.typ != nil {
		p.typ = root.typ.name
	}
	p.line, p.col = int(root.line), int(root.col)
	if c := t.findChild(0, "id", -1); c >= 0 && t.nodes[c].kind == valString {
		p.id = t.str(c)
	}
	if m := t.findChild(0, "meta", -1); m >= 0 {
		if c := t.findChild(m, "versionId", -1); c >= 0 && t.nodes[c].kind == valString {
			p.vers = t.str(c)
		}
	}
	if !b.overflow {
		all := b.resolvesAll()
		for i := range t.nodes {
			n := &t.nodes[i]
			if n.typ == nil || n.typ.name != "Reference" || n.stub {
				continue
			}
			c := t.findChild(int32(i), "reference", -1)
			if c < 0 || t.nodes[c].kind != valString {
				continue
			}
			ref := t.str(c)
			if ref == "" || ref[0] == '#' {
				continue
			}
			relative := !hasFullURL && !isAbsoluteURL(ref) && len(p.relative) < 10
			if !relative && !all && !strings.HasPrefix(ref, "urn:") {
				continue
			}
			r := entryRef{ref: ref, line: int(n.line), col: int(n.col)}
			if n.elem != nil {
				r.doc = documentRefs[n.elem.path]
			}
			expr := t.expression(int32(i))
			if j := strings.IndexByte(expr, '.'); j >= 0 {
				r.expr = prefix + expr[j:]
			} else {
				r.expr = prefix
			}
			if relative {
				if _, ok := referenceType(ref); ok {
					p.relative = append(p.relative, r)
				}
			}
			if all || strings.HasPrefix(ref, "urn:") {
				p.refs = append(p.refs, r)
			}
		}
	}
	w.pending = p
}

// checkEntry applies the per-entry rules when a Bundle entry ends, and keeps its summary.
func (w *walker) checkEntry(n int32) {
	p := w.pending
	w.pending = pendingEntry{}
	if n < 0 {
		return
	}
	tr := w.tree()
	entry := bundleEntry{at: w.entriesPath(), index: w.path[len(w.path)-1].index, line: int(tr.nodes[n].line), col: int(tr.nodes[n].col),
		hasResource: p.set, typ: p.typ, id: p.id, vers: p.vers, refs: p.refs, relative: p.relative, job: p.job}
	if c := tr.findChild(n, "fullUrl", -1); c >= 0 && tr.nodes[c].kind == valString {
		entry.fullUrl, entry.hasFullUrl = tr.str(c), true
		entry.fullLine, entry.fullCol = int(tr.nodes[c].line), int(tr.nodes[c].col)
		if !isAbsoluteURL(entry.fullUrl) {
			w.report(SeverityError, CheckBundle, entry.fullLine, entry.fullCol, entry.expr()+".fullUrl",
				"the fullUrl must be an absolute URL (not %q)", entry.fullUrl)
		} else if p.job == 0 {
			w.checkFullURL(&entry)
		}
	}
	if s := tr.findChild(n, "search", -1); s >= 0 {
		if m := tr.findChild(s, "mode", -1); m >= 0 && tr.nodes[m].kind == valString {
			entry.searchMode = tr.str(m)
		}
	}
	if len(w.bundles) == 0 {
		return
	}
	b := w.bundles[len(w.bundles)-1]
	if b.entries.Len() >= maxBundleEntries {
		if !b.overflow {
			b.overflow = true
			w.report(SeverityInformation, CheckLimit, entry.line, entry.col, entry.expr(),
				"the Bundle has more than %d entries: references between its entries are not checked", maxBundleEntries)
		}
		b.entries.Reset()
		return
	}
	if b.overflow {
		return
	}
	b.entries.Append(entry)
}

// expr renders the entry's path, Bundle.entry[i].
func (e *bundleEntry) expr() string { return e.at + string(appendIndex(nil, e.index)) }

// entriesPath is the path of the Bundle's entry element (Bundle.entry, or deeper for a Bundle
// inside another), rendered once per Bundle; the walker is at an entry.
func (w *walker) entriesPath() string {
	last := w.path[len(w.path)-1]
	render := func() string {
		w.path[len(w.path)-1].index = -1
		defer func() { w.path[len(w.path)-1] = last }()
		return w.expr()
	}
	if len(w.bundles) == 0 {
		return render()
	}
	b := w.bundles[len(w.bundles)-1]
	if b.entriesAt == "" {
		b.entriesAt = render()
	}
	return b.entriesAt
}

// checkFullURL: a RESTful fullUrl names the resource, so its type and id must agree.
func (w *walker) checkFullURL(e *bundleEntry) {
	if !e.hasFullUrl || !e.hasResource || e.typ == "" || !isAbsoluteURL(e.fullUrl) {
		return
	}
	if rt, _, ok := w.restfulURL(e.fullUrl); !ok || rt == "" {
		return
	}
	if e.id == "" {
		w.report(SeverityError, CheckBundle, e.fullLine, e.fullCol, e.expr()+".fullUrl",
			"the fullUrl %q is a RESTful URL, but the resource has no id", e.fullUrl)
	} else if !strings.HasSuffix(e.fullUrl, "/"+e.typ+"/"+e.id) {
		w.report(SeverityError, CheckBundle, e.fullLine, e.fullCol, e.expr()+".fullUrl",
			"the fullUrl %q does not end with the resource's type and id %s/%s", e.fullUrl, e.typ, e.id)
	}
}

// isAbsoluteURL reports whether s starts with a URI scheme ("http:", "urn:" ...).
func isAbsoluteURL(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for k := 0; k < i; k++ {
		c := s[k]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || k > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// restfulURL splits an http(s) URL ending in Type/id (optionally /_history/version), with Type a
// resource type, into the type, the base before it, and true.
func (w *walker) restfulURL(u string) (typ, base string, ok bool) {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", "", false
	}
	s := u
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	j := strings.LastIndexByte(s, '/')
	if j <= 0 {
		return "", "", false
	}
	k := strings.LastIndexByte(s[:j], '/')
	if k < 0 {
		return "", "", false
	}
	typ = s[k+1 : j]
	id := s[j+1:]
	if id == "" || checkID([]byte(id)) != "" {
		return "", "", false
	}
	if t := w.sc.types[typ]; t == nil || t.kind != kindResource {
		return "", "", false
	}
	return typ, s[:k+1], true
}

// checkBundle applies the Bundle-wide rules when the Bundle at node n of the current tree ends.
func (w *walker) checkBundle(n int32, b *bundleCtx) {
	if n < 0 {
		return
	}
	tr := w.tree()
	str := func(parent int32, names ...string) (string, int32) {
		x := parent
		for _, name := range names {
			if x = tr.findChild(x, name, -1); x < 0 {
				return "", -1
			}
		}
		if tr.nodes[x].kind != valString {
			return "", x
		}
		return tr.str(x), x
	}
	typ, _ := str(n, "type")
	bl, bc := int(tr.nodes[n].line), int(tr.nodes[n].col)
	prefix := tr.expression(n)
	if len(w.path) > 0 && n == 0 {
		prefix = w.expr()
	}
	w.checkBundleLinks(n, typ, prefix)
	if typ == "document" && strings.HasPrefix(w.sc.fhirVersion, "3.") {
		// STU3 documents carry their date in meta.lastUpdated (FHIR-26544).
		if v, _ := str(n, "meta", "lastUpdated"); v == "" {
			w.report(SeverityError, CheckBundle, bl, bc, prefix, "a document must have a date (Bundle.meta.lastUpdated)")
		}
	}
	optional := typ == "transaction" || typ == "transaction-response" || typ == "batch" || typ == "batch-response"
	if !b.overflow {
		for _, e := range b.entries.All() {
			switch {
			case e.hasFullUrl:
			case !optional:
				w.report(SeverityError, CheckBundle, e.line, e.col, e.expr(),
					"a Bundle entry must have a fullUrl, except in transactions and batches")
			case len(e.relative) > 0:
				// Relative references are resolved against the entry's fullUrl, so even in a
				// transaction an entry that has them needs one.
				w.report(SeverityError, CheckBundle, e.line, e.col, e.expr(),
					"the entry has relative references but no fullUrl to resolve them against")
				for _, r := range e.relative {
					w.report(SeverityError, CheckBundle, r.line, r.col, r.expr,
						"relative reference %q inside a Bundle entry that has no fullUrl", r.ref)
				}
			}
		}
	}
	if !b.overflow && typ != "history" {
		w.checkUniqueFullURLs(b, bl, bc, prefix)
	}
	if typ == "searchset" {
		w.checkSearchSet(n, b, prefix)
	}
	if b.overflow {
		return
	}
	switch typ {
	case "document", "message":
		w.resolveBundle(b, typ)
	default:
		w.checkURNReferences(b)
	}
}

// checkUniqueFullURLs applies bdl-7: outside history Bundles, no two entries may have the same
// fullUrl unless their resources have different meta.versionId. It is the invariant's FHIRPath,
// entry.where(fullUrl.exists()).select(fullUrl & iif(resource.meta.versionId.exists(),
// resource.meta.versionId, ”)).isDistinct(), worked out from the entry summaries.
func (w *walker) checkUniqueFullURLs(b *bundleCtx, line, col int, prefix string) {
	c := w.sc.uniqueFullURL
	if c == nil || b.entries.Len() < 2 {
		return
	}
	seen := make(map[string]struct{}, b.entries.Len())
	for _, e := range b.entries.All() {
		if !e.hasFullUrl {
			continue
		}
		key := e.fullUrl + "\x00" + e.vers
		if _, dup := seen[key]; !dup {
			seen[key] = struct{}{}
			continue
		}
		sev := SeverityError
		if c.severity == "warning" {
			sev = SeverityWarning
		}
		w.issues = appendIssue(w, Issue{Severity: sev, Code: issueType[CheckInvariant], Check: CheckInvariant, Key: c.key,
			Expression: prefix, Message: fmt.Sprintf("%s: %s (fullUrl %q appears more than once, first at %s)", c.key, c.human, e.fullUrl, w.firstEntryWith(b, e.fullUrl, e.vers)),
			Line: line, Column: col})
		return // the invariant fails once for the Bundle
	}
}

// firstEntryWith names the first entry with a fullUrl and version.
func (w *walker) firstEntryWith(b *bundleCtx, fullURL, vers string) string {
	for _, e := range b.entries.All() {
		if e.hasFullUrl && e.fullUrl == fullURL && e.vers == vers {
			return e.expr()
		}
	}
	return ""
}

// checkBundleLinks: a searchset or history may have each paging link once; other Bundles may
// not have paging links, and self at most once.
func (w *walker) checkBundleLinks(n int32, typ, prefix string) {
	tr := w.tree()
	seen := map[string]bool{}
	idx := int32(0)
	for c := tr.nodes[n].first; c >= 0; c = tr.nodes[c].next {
		if tr.nodes[c].name != "link" {
			continue
		}
		i := idx
		idx++
		r := tr.findChild(c, "relation", -1)
		if r < 0 || tr.nodes[r].kind != valString {
			continue
		}
		rel := tr.str(r)
		line, col := int(tr.nodes[r].line), int(tr.nodes[r].col)
		expr := prefix + ".link" + string(appendIndex(nil, i)) + ".relation"
		paging := rel == "first" || rel == "previous" || rel == "next" || rel == "last"
		switch typ {
		case "searchset", "history":
			if paging || rel == "self" {
				if seen[rel] {
					w.report(SeverityError, CheckBundle, line, col, expr, "the link relation %q appears more than once", rel)
				}
			}
		case "":
		default:
			if paging {
				w.report(SeverityError, CheckBundle, line, col, expr, "the link relation %q is for search sets and is not allowed in a %s Bundle", rel, typ)
			} else if rel == "self" && seen[rel] {
				w.report(SeverityError, CheckBundle, line, col, expr, "the link relation %q appears more than once", rel)
			}
		}
		seen[rel] = true
	}
}

// checkSearchSet: when every entry states its search mode, matches and includes need ids,
// matches are of the type searched for, and outcomes are OperationOutcomes.
func (w *walker) checkSearchSet(n int32, b *bundleCtx, prefix string) {
	if b.overflow || b.entries.Len() == 0 {
		return
	}
	for _, e := range b.entries.All() {
		if e.searchMode == "" {
			return
		}
	}
	tr := w.tree()
	var types []string
	for c := tr.nodes[n].first; c >= 0; c = tr.nodes[c].next {
		if tr.nodes[c].name != "link" {
			continue
		}
		r := tr.findChild(c, "relation", -1)
		u := tr.findChild(c, "url", -1)
		if r >= 0 && u >= 0 && tr.nodes[r].kind == valString && tr.str(r) == "self" && tr.nodes[u].kind == valString {
			types = w.searchTypes(tr.str(u))
			break
		}
	}
	for _, e := range b.entries.All() {
		if !e.hasResource {
			continue
		}
		expr := e.expr() + ".resource"
		switch e.searchMode {
		case "match", "include":
			if e.id == "" {
				w.report(SeverityError, CheckBundle, e.line, e.col, expr, "search results must have ids")
			}
			if e.searchMode == "match" && len(types) > 0 && !contains(types, e.typ) {
				w.report(SeverityError, CheckBundle, e.line, e.col, expr,
					"a %s is not a match for this search (it searched for %s)", e.typ, strings.Join(types, ", "))
			}
		case "outcome":
			if e.typ != "OperationOutcome" {
				w.report(SeverityError, CheckBundle, e.line, e.col, expr, "an entry with search mode outcome must be an OperationOutcome, not a %s", e.typ)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// searchTypes reads the resource types a search URL searched for: the last path segment, or
// the _type parameter.
func (w *walker) searchTypes(u string) []string {
	head, query, _ := strings.Cut(u, "?")
	if j := strings.LastIndexByte(head, '/'); j >= 0 {
		head = head[j+1:]
	}
	if t := w.sc.types[head]; t != nil && t.kind == kindResource {
		return []string{head}
	}
	var out []string
	for _, kv := range strings.Split(query, "&") {
		if v, ok := strings.CutPrefix(kv, "_type="); ok {
			out = append(out, strings.Split(v, ",")...)
		}
	}
	return out
}

// resolve finds the entries a reference made from the entry with fullUrl src points at.
func resolveRef(b *bundleCtx, ref, src string, restful func(string) (string, string, bool)) []int {
	target, version := ref, ""
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		target, version = ref[:i], ref[i+len("/_history/"):]
	}
	if !isAbsoluteURL(target) {
		// Relative: against the base of a RESTful fullUrl; otherwise it matches only RESTful
		// fullUrls that end with it (never a urn:uuid fullUrl, whatever the resource's id).
		if _, base, ok := restful(src); ok {
			target = base + target
		} else {
			var out []int
			for i := range b.entries.Len() {
				e := b.entries.At(i)
				if _, _, ok := restful(e.fullUrl); ok && strings.HasSuffix(e.fullUrl, "/"+target) && (version == "" || e.vers == version) {
					out = append(out, i)
				}
			}
			return out
		}
	}
	var out []int
	for i := range b.entries.Len() {
		e := b.entries.At(i)
		if e.hasFullUrl && e.fullUrl == target && (version == "" || e.vers == version) {
			out = append(out, i)
		}
	}
	return out
}

// resolveBundle resolves references inside a document or message Bundle: the Composition's
// (MessageHeader's) own references must be found, no reference may match several entries, and
// in a document every entry must be reachable from the Composition.
func (w *walker) resolveBundle(b *bundleCtx, typ string) {
	if b.entries.Len() == 0 || !b.entries.At(0).hasResource {
		return
	}
	want := "Composition"
	if typ == "message" {
		want = "MessageHeader"
	}
	first := b.entries.At(0)
	if first.typ != want {
		w.report(SeverityError, CheckBundle, first.line, first.col, first.expr()+".resource",
			"the first entry of a %s Bundle must be a %s, not a %s", typ, want, first.typ)
		return
	}
	targets := make([][]int, b.entries.Len())
	for i := range b.entries.Len() {
		e := b.entries.At(i)
		for _, r := range e.refs {
			m := resolveRef(b, r.ref, e.fullUrl, w.restfulURL)
			switch {
			case len(m) > 1:
				w.report(SeverityError, CheckBundle, r.line, r.col, r.expr, "the reference %q matches %d entries of the Bundle", r.ref, len(m))
			case len(m) == 0:
				if i == 0 && r.doc != "" {
					w.report(SeverityError, CheckBundle, r.line, r.col, r.expr, "can't find %q in the Bundle (%s)", r.ref, r.doc)
				} else if strings.HasPrefix(r.ref, "urn:uuid:") || strings.HasPrefix(r.ref, "urn:oid:") {
					w.report(SeverityWarning, CheckBundle, r.line, r.col, r.expr, "the URN reference %q is not found in the Bundle", r.ref)
				}
			}
			targets[i] = append(targets[i], m...)
		}
	}
	if typ != "document" {
		return
	}
	// Reachability: forwards from the Composition, then backwards (an entry pointing at a
	// reached one is reached too; only Provenance is expected to do that).
	reached := make([]bool, b.entries.Len())
	var visit func(i int)
	visit = func(i int) {
		if reached[i] {
			return
		}
		reached[i] = true
		for _, t := range targets[i] {
			visit(t)
		}
	}
	visit(0)
	for again := true; again; {
		again = false
		for i := range b.entries.Len() {
			if reached[i] || !b.entries.At(i).hasResource {
				continue
			}
			for _, t := range targets[i] {
				if reached[t] {
					e := b.entries.At(i)
					if e.typ != "Provenance" {
						w.report(SeverityWarning, CheckBundle, e.line, e.col, e.expr(),
							"entry %q is reached only by a reference from it to the document, not from the Composition", e.fullUrl)
					}
					visit(i)
					again = true
					break
				}
			}
		}
	}
	for i := range b.entries.Len() {
		e := b.entries.At(i)
		if !reached[i] && e.hasResource {
			w.report(SeverityError, CheckBundle, e.line, e.col, e.expr(),
				"entry %q cannot be reached by following references from the Composition", e.fullUrl)
		}
	}
}

// checkURNReferences warns about urn:uuid and urn:oid references no entry of the Bundle has as
// its fullUrl.
func (w *walker) checkURNReferences(b *bundleCtx) {
	var urls map[string]bool
	for i := range b.entries.Len() {
		for _, r := range b.entries.At(i).refs {
			if !strings.HasPrefix(r.ref, "urn:uuid:") && !strings.HasPrefix(r.ref, "urn:oid:") {
				continue
			}
			if urls == nil {
				urls = make(map[string]bool, b.entries.Len())
				for j := range b.entries.Len() {
					if b.entries.At(j).hasFullUrl {
						urls[b.entries.At(j).fullUrl] = true
					}
				}
			}
			if !urls[r.ref] {
				w.report(SeverityWarning, CheckBundle, r.line, r.col, r.expr, "the URN reference %q is not found in the Bundle", r.ref)
			}
		}
	}
}
