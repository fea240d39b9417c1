package console

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/nhs-jigsaw/jigsaw/sandbox"
)

// The browser tests drive the real pages in headless Chromium. They skip when Chromium or the
// accessibility engine is missing, unless JIGSAW_BROWSER_TESTS=required (as CI sets it), when
// a missing browser fails the run instead. JIGSAW_SCREENSHOTS names a directory to keep the
// screenshots in (default a temporary one).

const axePath = "browsertest/node_modules/axe-core/axe.min.js"

func browserPrereqs(t *testing.T) (chromium string, axe []byte) {
	t.Helper()
	required := os.Getenv("JIGSAW_BROWSER_TESTS") == "required"
	missing := func(what string) {
		if required {
			t.Fatalf("JIGSAW_BROWSER_TESTS=required but %s", what)
		}
		t.Skip(what)
	}
	if testing.Short() {
		missing("-short: the browser tests run a full assessment")
	}
	chromium = os.Getenv("JIGSAW_CHROMIUM")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		missing("no Chromium found (apt-get install chromium, or set JIGSAW_CHROMIUM)")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		missing("axe-core is not installed: run npm ci in console/browsertest")
	}
	return chromium, axe
}

// newBrowser starts headless Chromium with a fresh profile and no network chatter of its own.
func newBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", chromium, err)
	}
	return ctx
}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Nodes   int      `json:"nodes"`
	Targets []string `json:"targets"`
}

// checkA11y injects axe-core into the page and fails on serious or critical violations of
// WCAG 2.0–2.2 A and AA.
func checkA11y(t *testing.T, ctx context.Context, axe []byte, name string) {
	t.Helper()
	for _, v := range axeRun(t, ctx, axe, name) {
		msg := fmt.Sprintf("%s: axe %s (%s) on %d nodes: %s %v", name, v.ID, v.Impact, v.Nodes, v.Help, v.Targets)
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
}

func axeRun(t *testing.T, ctx context.Context, axe []byte, name string) []axeViolation {
	t.Helper()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axe)+";typeof axe === 'object'"))
	if err != nil || !loaded {
		t.Fatalf("%s: inject axe-core: %v", name, err)
	}
	script := `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa','best-practice']}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.length,
			targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))`
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", name, err)
	}
	return violations
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	saveShot(t, ctx, dir, name, chromedp.FullScreenshot(100))
}

// viewShot saves what the window shows, as a person would see it without scrolling.
func viewShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	saveShot(t, ctx, dir, name, chromedp.CaptureScreenshot())
}

func saveShot(t *testing.T, ctx context.Context, dir, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	// A capture can stall while the page is still streaming progress on a loaded machine (it
	// once used up the whole test's time): each try gets a minute of its own, and a second
	// try follows a stalled one.
	var png []byte
	var err error
	for try := 0; try < 2; try++ {
		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		png, err = chromedp.Run(tctx, shot)
		cancel()
		if err == nil || ctx.Err() != nil {
			break
		}
		t.Logf("screenshot %s, try %d: %v", name, try+1, err)
	}
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserInspectionDay runs an assessment against the sandbox from the console, answers
// three interview items, downloads the PDF, opens the league view, and checks the main pages
// with axe-core.
func TestBrowserInspectionDay(t *testing.T) {
	chromium, axe := browserPrereqs(t)
	shots := os.Getenv("JIGSAW_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	sb := startSandbox(t, sandbox.Typical)
	ctx := newBrowser(t, chromium)
	base := e.ts.URL
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			screenshot(t, ctx, shots, "failed-"+strings.ReplaceAll(what, " ", "-"))
			t.Fatalf("%s: %v (screenshot in %s)", what, err, shots)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}

	// Admission: the printed address signs the browser in and drops the token from the URL.
	run("open the console", chromedp.Navigate(base+"/?token="+e.srv.AccessToken()), chromedp.WaitVisible(chromedp.CSS("h1")))
	if loc := location(); strings.Contains(loc, "token") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	checkA11y(t, ctx, axe, "home")

	// Start an assessment from the form, as an inspector would type it.
	form := presetForm(sb, "")
	run("fill the form", chromedp.Navigate(base+"/assessments/new"), chromedp.WaitVisible(chromedp.ID("#ods")),
		chromedp.SendKeys(chromedp.ID("#ods"), form.Get("ods")),
		chromedp.SendKeys(chromedp.ID("#name"), form.Get("name")),
		chromedp.SetValue(chromedp.ID("#type"), "acute-trust"),
		chromedp.SendKeys(chromedp.ID("#region"), form.Get("region")),
		chromedp.SetValue(chromedp.ID("#target"), form.Get("target")),
		chromedp.SetValue(chromedp.ID("#ca_file"), form.Get("ca_file")),
		chromedp.SetValue(chromedp.ID("#client_cert"), form.Get("client_cert")),
		chromedp.SetValue(chromedp.ID("#client_key"), form.Get("client_key")),
		chromedp.SetValue(chromedp.ID("#gpconnect"), form.Get("gpconnect")),
		chromedp.SetValue(chromedp.ID("#gpconnect_structured"), form.Get("gpconnect_structured")),
		chromedp.SendKeys(chromedp.ID("#token"), form.Get("token")),
		chromedp.SendKeys(chromedp.ID("#cycle"), "2026-Q3"),
	)
	checkA11y(t, ctx, axe, "new assessment")
	screenshot(t, ctx, shots, "01-new-assessment")
	run("start", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start the assessment"]`)),
		chromedp.WaitVisible(chromedp.ID("#run")), chromedp.Sleep(1500*time.Millisecond))
	screenshot(t, ctx, shots, "02-running")
	run("wait for the results", chromedp.WaitVisible(chromedp.ID("#findings")))
	loc := location()
	ref := loc[strings.LastIndex(loc, "/")+1:]
	if !strings.Contains(text("#summary ~ dl"), "Rating") && !strings.Contains(text("main"), "Rating") {
		t.Error("the assessment page shows no rating")
	}
	checkA11y(t, ctx, axe, "assessment")
	viewShot(t, ctx, shots, "03a-assessment-summary")
	run("expand a failed finding and its first exchange",
		chromedp.Click(chromedp.CSS(`section[aria-labelledby=findings] details:has(.status-fail) > summary`)),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby=findings] details[open] details > summary`)))
	screenshot(t, ctx, shots, "03-assessment")
	run("scroll to the finding", chromedp.ScrollIntoView(chromedp.CSS(`section[aria-labelledby=findings] details[open]`)))
	viewShot(t, ctx, shots, "03b-assessment-finding")
	body := text("main")
	for _, secret := range []string{sb.Token, e.srv.AccessToken()} {
		if strings.Contains(body, secret) {
			t.Error("the assessment page shows a token")
		}
	}

	// Download the PDF.
	downloads := t.TempDir()
	run("download the PDF", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}),
		chromedp.Click(chromedp.CSS(`a[href$="/download/pdf"]`)))
	var pdf []byte
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		matches, _ := filepath.Glob(filepath.Join(downloads, "*.pdf"))
		if len(matches) == 1 {
			if b, err := os.ReadFile(matches[0]); err == nil && len(b) > 0 && strings.HasSuffix(strings.TrimSpace(string(b[max(0, len(b)-16):])), "%%EOF") {
				pdf = b
				break
			}
		}
	}
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("no PDF downloaded into %s", downloads)
	} else if shots != "" {
		_ = os.WriteFile(filepath.Join(shots, "report.pdf"), pdf, 0o644)
	}

	// Answer three interview items, each following on from the last.
	run("open the interview", chromedp.Navigate(base+"/assessments/"+ref+"/interview"), chromedp.WaitVisible(chromedp.CSS("table")))
	checkA11y(t, ctx, axe, "interview")
	viewShot(t, ctx, shots, "04a-interview")
	run("continue", chromedp.Click(chromedp.Search(`//a[starts-with(normalize-space(), "Continue with")]`)), chromedp.WaitVisible(chromedp.ID("#person")))
	checkA11y(t, ctx, axe, "interview item")
	for i, level := range []string{"3", "2", "4"} {
		run(fmt.Sprintf("answer item %d", i+1),
			chromedp.SendKeys(chromedp.ID("#person"), "Priya Raman"),
			chromedp.Click(chromedp.ID("level-"+level)),
			chromedp.SendKeys(chromedp.ID("notes"), "Strategy seen, signed by the board."),
			chromedp.Click(chromedp.Search(`//button[normalize-space()="Save answer"]`)),
			chromedp.WaitVisible(chromedp.CSS(`div.notice.ok[role=status]`)))
		if i == 0 {
			screenshot(t, ctx, shots, "04-interview-saved")
		}
		if i < 2 {
			run("next item", chromedp.Click(chromedp.Search(`//a[starts-with(normalize-space(), "Next:")]`)), chromedp.WaitVisible(chromedp.ID("#person")))
		}
	}
	snap, err := e.store.Load(context.Background(), mustID(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Attestations) != 3 {
		t.Errorf("attestations recorded: %d, want 3", len(snap.Attestations))
	}
	for _, a := range snap.Attestations {
		if a.AnsweredBy != "Priya Raman ("+a.Owner+")" || a.Provenance != "inspector-verified" {
			t.Errorf("attestation %s attributed to %q (%s)", a.ID, a.AnsweredBy, a.Provenance)
		}
	}

	// The national view.
	e.seedCentral(ref, sb)
	run("open the league", chromedp.Navigate(base+"/league"), chromedp.WaitVisible(chromedp.CSS("table")))
	if !strings.Contains(text("main"), sb.Org.Name) {
		t.Error("the league table does not list the organisation")
	}
	checkA11y(t, ctx, axe, "league")
	screenshot(t, ctx, shots, "05-league")
	for _, p := range []struct{ path, name, wait string }{
		{"/league/" + sb.Org.ODSCode, "history", "svg.chart"},
		{"/fleet", "fleet", "table"},
		{"/assessments", "assessments", "table"},
		{"/training", "training", "form"},
	} {
		run("open "+p.name, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		checkA11y(t, ctx, axe, p.name)
		screenshot(t, ctx, shots, "06-"+p.name)
	}
	// Keyboard: the skip link is the first stop and takes focus to the main content.
	run("keyboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.KeyEvent("\t"))
	active, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if active != "Skip to main content" {
		t.Errorf("first Tab stop is %q, want the skip link", active)
	}
}

// TestBrowserTrainingGround runs the legacy scenario as a trainee: judge the results, record
// findings, read the debrief.
func TestBrowserTrainingGround(t *testing.T) {
	chromium, axe := browserPrereqs(t)
	shots := os.Getenv("JIGSAW_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ctx := newBrowser(t, chromium)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			screenshot(t, ctx, shots, "failed-"+strings.ReplaceAll(what, " ", "-"))
			t.Fatalf("%s: %v (screenshot in %s)", what, err, shots)
		}
	}
	// The check can fail: a page with an unlabelled field and grey-on-white text has serious
	// violations.
	run("a bad page", chromedp.Navigate("about:blank"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.lang = "en";
		document.title = "bad"; document.body.innerHTML = '<main><h1>Bad</h1><input type="text"><p style="color:#ccc">faint</p></main>'; true`)); err != nil {
		t.Fatal(err)
	}
	serious := map[string]bool{}
	for _, v := range axeRun(t, ctx, axe, "bad page") {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious[v.ID] = true
		}
	}
	if !serious["label"] || !serious["color-contrast"] {
		t.Errorf("axe missed an unlabelled field or low contrast: %v", serious)
	}

	run("open the training ground", chromedp.Navigate(e.ts.URL+"/training?token="+e.srv.AccessToken()),
		chromedp.WaitVisible(chromedp.ID("trainee")),
		chromedp.Click(chromedp.ID("sc-legacy")),
		chromedp.SendKeys(chromedp.ID("trainee"), "Sam Trainee"))
	checkA11y(t, ctx, axe, "training")
	run("start the scenario", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start the scenario"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[type=submit]`)),
		// The run page reloads itself into the judging form when the run ends.
		chromedp.WaitVisible(chromedp.ID("notes")))
	checkA11y(t, ctx, axe, "training run")
	tick := func(probe string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`input[name=defect][value="` + probe + `"]`))
	}
	run("call defects", tick("transport.hsts"), tick("security.auth.required"), tick("fhir.resources.valid"),
		chromedp.Click(chromedp.Search(`//button[starts-with(normalize-space(), "Record my findings")]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Missed"]`)))
	checkA11y(t, ctx, axe, "debrief")
	viewShot(t, ctx, shots, "07-debrief")
	main, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 found", "1 over-called", "transport.tls.version", "fhir.resources.valid"} {
		if !strings.Contains(main, want) {
			t.Errorf("debrief lacks %q", want)
		}
	}
}
